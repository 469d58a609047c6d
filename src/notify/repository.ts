// The repository `mreg notify` reads events from: a registry's own clone, or for `--remote` a bare clone that
// only fetches (objects and a remote-tracking ref, never a branch or a work tree). Read side only.
import { GitReader } from '../store/git/reader.js';

export type NotifyRepository = GitReader;

/** Opens the registry at `dir`, or creates the bare clone a `--remote` notifier fetches into. */
export async function openNotifyRepository(
  dir: string,
  opts: { followsRemote: boolean; branch?: string },
): Promise<NotifyRepository> {
  return opts.followsRemote ? GitReader.init(dir, { bare: true, branch: opts.branch ?? 'main' }) : GitReader.open(dir);
}
