// Revisions to commit oids, as `git rev-parse` reads them (isomorphic-git's resolveRef understands no
// `HEAD~1`: gotcha 8): a full or abbreviated oid, a branch, a tag (peeled), a remote-tracking ref, HEAD,
// followed by any of ~N, ^, ^N, ^0, ^{commit}, ^{}.
import fs from 'node:fs';
import { RegistryError } from '../../errors.js';
import type { GitContext } from './context.js';
import { errCode } from './io.js';
import { iso } from './iso.js';
import { OID_RE, parseTagTarget } from './objects.js';

function unknownRevision(rev: string): RegistryError {
  return new RegistryError('RESOURCE_DOES_NOT_EXIST', `Unknown revision '${rev}'.`, { revision: rev });
}

/**
 * Resolves a revision to a commit oid.
 * @throws RESOURCE_DOES_NOT_EXIST `Unknown revision '<rev>'.`; INVALID_PARAMETER_VALUE for an ambiguous short oid.
 */
export async function resolveRevision(git: GitContext, rev: string): Promise<string> {
  const cut = rev.search(/[~^]/);
  const base = cut < 0 ? rev : rev.slice(0, cut);
  const suffix = cut < 0 ? '' : rev.slice(cut);
  if (base === '') throw unknownRevision(rev);
  let oid = await resolveBase(git, base === '@' ? 'HEAD' : base, rev);
  oid = await peelToCommit(git, oid, rev);
  const re = /~(\d*)|\^\{(commit|)\}|\^(\d*)/gy;
  let pos = 0;
  while (pos < suffix.length) {
    re.lastIndex = pos;
    const m = re.exec(suffix);
    if (!m) throw unknownRevision(rev);
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      const n = m[1] === '' ? 1 : Number(m[1]);
      for (let i = 0; i < n; i++) {
        const parent = (await git.objects.readCommit(oid)).parents[0];
        if (!parent) throw unknownRevision(rev);
        oid = parent;
      }
    } else if (m[3] !== undefined) {
      const n = m[3] === '' ? 1 : Number(m[3]);
      if (n === 0) continue;
      const parent = (await git.objects.readCommit(oid)).parents[n - 1];
      if (!parent) throw unknownRevision(rev);
      oid = parent;
    }
    // ^{commit} and ^{}: already peeled to a commit
  }
  return oid;
}

/** A commit oid as is, or a revision resolved to one. */
export async function commitOid(git: GitContext, commit: string): Promise<string> {
  return OID_RE.test(commit) ? commit : resolveRevision(git, commit);
}

async function resolveBase(git: GitContext, base: string, rev: string): Promise<string> {
  if (/^[0-9a-fA-F]{40}$/.test(base)) {
    const oid = base.toLowerCase();
    if (await git.objects.hasObject(oid)) return oid;
    throw unknownRevision(rev);
  }
  // git's ref_rev_parse_rules. Top-level names are only pseudo-refs (HEAD, FETCH_HEAD…), never `config`.
  const candidates = [
    ...(/^[A-Z_]+$/.test(base) || base.startsWith('refs/') ? [base] : []),
    `refs/${base}`,
    `refs/tags/${base}`,
    `refs/heads/${base}`,
    `refs/remotes/${base}`,
    `refs/remotes/${base}/HEAD`,
  ];
  for (const name of candidates) {
    if (name.includes('..') || name.includes('//')) continue;
    const oid = await git.refs.resolve(name);
    if (oid) return oid;
  }
  if (/^[0-9a-fA-F]{4,39}$/.test(base)) {
    try {
      return await (
        await iso()
      ).git.expandOid({ fs, gitdir: git.paths.commondir, oid: base.toLowerCase(), cache: git.objects.cache });
    } catch (e) {
      if (errCode(e) === 'AmbiguousError') {
        throw RegistryError.invalid(`Ambiguous revision '${rev}': several objects start with ${base}.`, {
          revision: rev,
        });
      }
    }
  }
  throw unknownRevision(rev);
}

async function peelToCommit(git: GitContext, oid: string, rev: string): Promise<string> {
  let current = oid;
  for (let depth = 0; depth < 10; depth++) {
    const obj = await git.objects.readRaw(current).catch(() => undefined);
    if (!obj) throw unknownRevision(rev);
    if (obj.type === 'commit') return current;
    if (obj.type !== 'tag') throw unknownRevision(rev);
    current = parseTagTarget(obj.body).object;
  }
  throw unknownRevision(rev);
}
