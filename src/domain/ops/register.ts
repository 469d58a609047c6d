// A registration that also sets the new version's stage and aliases: what a pipeline means by "register v8 and
// make it the challenger", planned as one change (one commit) from the single-operation planners.
import { canonicalStage } from '../stages.js';
import type { ModelEntry } from '../state.js';
import { mergeChanges, type Change, type OpContext } from './change.js';
import { setRegisteredModelAlias } from './models.js';
import { registerModelVersion, transitionModelVersionStage, type CreateVersionInput } from './versions.js';

/** What a registration may set on the version it makes, in the same commit. */
export interface RegisterExtras {
  /** The new version's stage (any case); None or absent leaves it in None. */
  stage?: unknown;
  /** With `stage`: move the other versions in that stage to Archived. */
  archiveExisting?: boolean;
  /** Aliases to point at the new version (moved if they point elsewhere). */
  aliases?: readonly unknown[];
}

/**
 * registerModelVersion, then the stage transition and the aliases of `extras` on the version it made — each
 * planned by its own planner on the result of the one before, merged into one change whose message names them
 * all (`fraud: v8 registered; v8 None → Staging; alias challenger → v8`). For a stage, `entry` must hold every
 * version (archiving and the stage policies read them).
 * @throws INVALID_PARAMETER_VALUE as the three planners do (a bad stage or alias name changes nothing)
 * @example registerModelVersionWith(ctx, entry, { name: 'fraud' }, { source: 's3://b/8' }, 'fraud: created; v1 registered', { stage: 'staging', aliases: ['challenger'] })
 */
export function registerModelVersionWith(
  ctx: OpContext,
  entry: ModelEntry | undefined,
  model: { name: string; tags?: unknown; description?: string | null },
  input: CreateVersionInput,
  createdMessage: string,
  extras: RegisterExtras = {},
): Change {
  const name = model.name;
  // Checked before anything is planned, so a typo says so whatever else is wrong.
  const stage = extras.stage === undefined ? undefined : canonicalStage(extras.stage);
  let change = registerModelVersion(ctx, entry, model, input, createdMessage);
  const n = Math.max(...change.after.get(name)!.versions.keys());
  const messages = [change.message];
  const add = (next: Change | null): void => {
    if (!next) return;
    messages.push(next.message.startsWith(`${name}: `) ? next.message.slice(name.length + 2) : next.message);
    change = mergeChanges(change, next, '');
  };
  if (stage !== undefined && (stage !== 'None' || extras.archiveExisting))
    add(transitionModelVersionStage(ctx, change.after.get(name)!, n, stage, extras.archiveExisting === true));
  for (const alias of new Set(extras.aliases ?? []))
    add(setRegisteredModelAlias(ctx, change.after.get(name)!, alias, n));
  return { ...change, message: messages.join('; ') };
}
