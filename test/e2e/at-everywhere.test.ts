// One `at` everywhere: `mreg resolve --at X` (the CLI process), `GET /api/v1/resolve?…&at=X` (the daemon) and
// `registry.resolve(uri, { at: X })` (the library) accept the same inputs — a commit id, full or abbreviated, a
// tag, a branch, HEAD~N, an ISO time, a date, epoch milliseconds — give the same answers, and refuse the same
// inputs with the same code and message.
import { beforeAll, describe, expect, it } from 'vitest';
import { initRegistry, Registry, RegistryError } from '../../src/index.js';
import { assertBuilt, mreg } from '../helpers/cli.js';
import { serveRepo, type TestDaemon } from '../helpers/daemon.js';
import { AUTHOR, git, tempDir } from '../helpers/registry.js';

const URI = 'models:/m/Production';
type Answer = { ok: true; version: string; commit: string } | { ok: false; code: string; message: string };

interface Fixture {
  dir: string;
  /** Commits, oldest first: init, v1 registered, v1 → Production, v2 registered, v2 → Production. */
  c: string[];
}

async function build(): Promise<Fixture> {
  const dir = await tempDir('mreg-at-');
  let now = Date.parse('2026-01-01T12:00:00Z');
  const clock = () => now;
  await initRegistry(dir, { author: AUTHOR, clock });
  const r = await Registry.open(dir, { author: AUTHOR, clock });
  now = Date.parse('2026-01-02T00:00:00Z');
  await r.registerModelVersion('m', 's3://m/1');
  now = Date.parse('2026-01-03T00:00:00Z');
  await r.transitionModelVersionStage('m', 1, 'Production');
  now = Date.parse('2026-01-04T00:00:00Z');
  await r.createModelVersion('m', 's3://m/2');
  now = Date.parse('2026-01-05T00:00:00Z');
  await r.transitionModelVersionStage('m', 2, 'Production', { archiveExistingVersions: true });
  await git(dir, 'tag', 'release-1', 'HEAD~2');
  const c = (await git(dir, 'rev-list', '--first-parent', '--reverse', 'main')).trim().split('\n');
  return { dir, c };
}

async function viaCli(dir: string, at: string): Promise<Answer> {
  const r = await mreg(['resolve', URI, '--at', at, '--json'], { cwd: dir });
  if (r.code === 0) {
    const body = JSON.parse(r.stdout) as { version: string; commit: string };
    return { ok: true, version: body.version, commit: body.commit };
  }
  const m = /^mreg: ([A-Z_]+): (.*)\n$/.exec(r.stderr);
  if (!m) throw new Error(`unexpected CLI failure (${r.code}): ${r.stderr}`);
  return { ok: false, code: m[1]!, message: m[2]! };
}

async function viaDaemon(d: TestDaemon, at: string): Promise<Answer> {
  const r = await d.get(`/api/v1/resolve?uri=${encodeURIComponent(URI)}&at=${encodeURIComponent(at)}`);
  if (r.status === 200) return { ok: true, version: r.body.version, commit: r.body.commit };
  return { ok: false, code: r.body.error_code, message: r.body.message };
}

async function viaLibrary(dir: string, at: string): Promise<Answer> {
  const r = await Registry.open(dir);
  try {
    const v = await r.resolve(URI, { at });
    return { ok: true, version: v.version, commit: v.commit! };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    return { ok: false, code: e.code, message: e.message };
  }
}

describe('--at, ?at= and { at } are one rule', () => {
  beforeAll(() => assertBuilt());

  it('the CLI, the daemon and the library give the same answer for every kind of input', async () => {
    const fx = await build();
    const d = await serveRepo(fx.dir);
    await d.ready;
    const [, c1, c2, c3, c4] = fx.c as [string, string, string, string, string];
    const cases: Array<[at: string, want: Answer]> = [
      [c2, { ok: true, version: '1', commit: c2 }],
      [c2.slice(0, 8), { ok: true, version: '1', commit: c2 }],
      ['release-1', { ok: true, version: '1', commit: c2 }],
      ['main~2', { ok: true, version: '1', commit: c2 }],
      ['HEAD~1', { ok: true, version: '1', commit: c3 }],
      ['HEAD', { ok: true, version: '2', commit: c4 }],
      ['2026-01-03T12:00:00Z', { ok: true, version: '1', commit: c2 }],
      ['2026-01-04T01:00:00+02:00', { ok: true, version: '1', commit: c2 }],
      ['2026-01-04', { ok: true, version: '1', commit: c3 }],
      ['2026-01-05T00:00', { ok: true, version: '2', commit: c4 }],
      [String(Date.parse('2026-01-03T06:00:00Z')), { ok: true, version: '1', commit: c2 }],
      [
        '2026-01-02T12:00:00Z',
        {
          ok: false,
          code: 'RESOURCE_DOES_NOT_EXIST',
          message: "No versions of model with name 'm' and stage 'Production' found",
        },
      ],
      [
        '2025-12-31',
        {
          ok: false,
          code: 'RESOURCE_DOES_NOT_EXIST',
          message: "The registry had no commits on 'main' at 2025-12-31T00:00:00.000Z.",
        },
      ],
      [
        'no-such-ref',
        { ok: false, code: 'INVALID_PARAMETER_VALUE', message: "'no-such-ref' is neither a commit, a ref nor a time." },
      ],
      [
        '../../etc/passwd',
        {
          ok: false,
          code: 'INVALID_PARAMETER_VALUE',
          message: "'../../etc/passwd' is neither a commit, a ref nor a time.",
        },
      ],
      [
        '2026-02-30',
        {
          ok: false,
          code: 'INVALID_PARAMETER_VALUE',
          message: "'2026-02-30' is not a valid time (ISO 8601, e.g. 2026-03-01T12:00Z, or epoch ms).",
        },
      ],
    ];
    for (const [at, want] of cases) {
      const [cli, daemon, library] = await Promise.all([viaCli(fx.dir, at), viaDaemon(d, at), viaLibrary(fx.dir, at)]);
      expect({ at, cli }).toEqual({ at, cli: want });
      expect({ at, daemon }).toEqual({ at, daemon: want });
      expect({ at, library }).toEqual({ at, library: want });
    }
    expect(c1).not.toBe(c2);

    // Four digits are a revision (an abbreviated commit id), never a year: the same answer everywhere.
    for (const at of ['2026', c2.slice(0, 4)]) {
      const [cli, daemon, library] = await Promise.all([viaCli(fx.dir, at), viaDaemon(d, at), viaLibrary(fx.dir, at)]);
      expect({ at, daemon }).toEqual({ at, daemon: cli });
      expect({ at, library }).toEqual({ at, library: cli });
      if (!fx.c.some((c) => c.startsWith(at)))
        expect(cli).toMatchObject({ ok: false, code: 'INVALID_PARAMETER_VALUE' });
    }
    // About twenty CLI processes, one after another: seconds each on a loaded two-core machine.
  }, 240_000);
});
