// Crash safety: writers SIGKILLed at random moments during hundreds of writes. Whatever moment a writer
// dies at (waiting for the lock, writing objects, holding index.lock or the ref lock, rewriting the
// checkout, printing its answer), the registry stays sound, every acknowledged write is on the branch,
// and the next writer goes ahead without anyone cleaning up.
//
// Writers: library writer processes (a node script over dist/index.js that loops over mixed writes —
// register, transition with archiving, alias, tag — and prints `ack <id> … <commit>` after each one returns)
// and the built CLI (`mreg register`, committed and --no-commit). Each library writer is killed a random
// 0–150 ms after its k-th write started (k random), so kills land in every phase of a write; each CLI
// process is killed at a random moment of its life, or left to finish and print its version.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parsePath } from '../../src/domain/layout.js';
import { parseDocumentText } from '../../src/store/yaml.js';
import { assertBuilt, BIN, cliEnv, mregOk, ROOT } from '../helpers/cli.js';
import { reportFigures } from '../helpers/figures.js';
import { git, tempDir } from '../helpers/registry.js';

const MODELS = ['alpha', 'beta', 'gamma'];
const LIB_WRITERS = 3;
const TARGET_ATTEMPTS = 320;
const MIN_ROUNDS = 8;
/** Rounds stop once the target is reached or this much time went by (a loaded CI machine is slow, not wrong). */
const TIME_BUDGET_MS = 150_000;

const WRITER = `
import { Registry } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/index.js')).href)};
const [dir, wid, seedText] = process.argv.slice(2);
let seed = Number(seedText) || 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (a) => a[Math.floor(rand() * a.length)];
const out = (line) => process.stdout.write(line + '\\n');
const models = ${JSON.stringify(MODELS)};
const reg = await Registry.open(dir, { author: { name: 'Writer ' + wid, email: 'w' + wid + '@example.com' }, lockTimeoutMs: 60000 });
const latest = new Map(models.map((m) => [m, 0]));
for (const [name, e] of (await reg.state()).models) latest.set(name, e.latestVersion);
out('ready');
for (let i = 0; ; i++) {
  const id = 'w' + wid + '.' + seedText + '.' + i;
  const name = pick(models);
  const max = latest.get(name) ?? 0;
  const r = rand();
  const op = max === 0 || r < 0.5 ? 'register' : r < 0.7 ? 'transition' : r < 0.85 ? 'alias' : 'tag';
  out('try ' + id + ' ' + op + ' ' + name);
  try {
    let version;
    if (op === 'register') {
      const v = await reg.registerModelVersion(name, 's3://bucket/' + name + '/' + id, { runId: id, tags: { writer: String(wid) } });
      version = Number(v.version);
      latest.set(name, Math.max(latest.get(name) ?? 0, version));
    } else {
      version = 1 + Math.floor(rand() * max);
      const stage = pick(['Staging', 'Production', 'Archived', 'None']);
      if (op === 'transition') await reg.transitionModelVersionStage(name, version, stage, { archiveExistingVersions: (stage === 'Staging' || stage === 'Production') && rand() < 0.5 });
      else if (op === 'alias') await reg.setRegisteredModelAlias(name, pick(['champion', 'challenger', 'shadow']), version);
      else await reg.setModelVersionTag(name, version, 'note', id);
    }
    out('ack ' + id + ' ' + op + ' ' + name + ' ' + version + ' ' + (reg.lastWrite.commit ?? '-'));
  } catch (e) {
    out('err ' + id + ' ' + op + ' ' + name + ' ' + (e.code ?? e.name) + ' ' + String(e.message).replace(/\\s+/g, ' '));
  }
}
`;

interface Ack {
  id: string;
  op: string;
  name: string;
  version: number;
  commit: string | null;
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  killed: boolean;
}

function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = {
    child,
    lines: [],
    stderr: '',
    killed: false,
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      p.lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (p.stderr += d));
  return p;
}

function kill(p: Proc): void {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    p.killed = true;
    p.child.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lock files, journals and temp files a killed writer can leave in the git directory. */
async function leftovers(gitdir: string): Promise<string[]> {
  const found: string[] = [];
  for (const f of [
    'mreg-write.lock',
    'mreg-write.lock.held',
    'mreg-write.lock.takeover',
    'index.lock',
    'HEAD.lock',
    'refs/heads/main.lock',
    'mreg-checkout.json',
  ]) {
    if (existsSync(path.join(gitdir, f))) found.push(f);
  }
  return found;
}

describe('crash safety (SIGKILL during writes)', () => {
  it(`writers killed at random moments during ${TARGET_ATTEMPTS}+ writes: nothing acknowledged is lost, nothing is corrupt, no manual cleanup`, async () => {
    assertBuilt();
    const root = await tempDir('mreg-crash-');
    const dir = path.join(root, 'registry');
    const script = path.join(root, 'writer.mjs');
    await writeFile(script, WRITER);
    await mregOk(['init', '--repo', dir]);
    const gitdir = path.join(dir, '.git');
    const env = cliEnv();

    // How long one uncontended CLI write takes here, so CLI kills can be spread over a whole process life.
    const t0 = Date.now();
    const first = await mregOk([
      'register',
      'cli',
      '--source',
      's3://cli/first',
      '--run-id',
      'cli-first',
      '--repo',
      dir,
    ]);
    const cliMs = Date.now() - t0;
    const cliAcks: Array<{ id: string; version: number }> = [
      { id: 'cli-first', version: Number(/v(\d+) registered/.exec(first.stdout)![1]) },
    ];

    const acks: Ack[] = [];
    const errors: string[] = [];
    let attempted = 0;
    let killedProcs = 0;
    let inFlightKilled = 0;
    let cliStarted = 0;
    let cliKilled = 0;
    let draftStarted = 0;
    let draftKilled = 0;
    let staleFound = 0;
    let roundsWithLeftovers = 0;
    const roundAcks: number[] = [];
    const started = Date.now();
    let round = 0;

    while ((attempted < TARGET_ATTEMPTS || round < MIN_ROUNDS) && Date.now() - started < TIME_BUDGET_MS) {
      round++;
      const before = acks.length + cliAcks.length;
      const writers = Array.from({ length: LIB_WRITERS }, (_, w) =>
        start([script, dir, String(w), String(round * 7919 + w * 104729 + 1)], env),
      );
      // Kill each library writer 0–150 ms after its k-th write started.
      const killers = writers.map(async (p) => {
        const k = 1 + Math.floor(Math.random() * 14);
        const deadline = Date.now() + 60_000;
        while (
          p.lines.filter((l) => l.startsWith('try ')).length < k &&
          p.child.exitCode === null &&
          Date.now() < deadline
        )
          await sleep(2);
        await sleep(Math.random() * 150);
        kill(p);
        await p.exited;
      });
      // Meanwhile, the CLI: committed and --no-commit registrations, most killed at a random moment of their life.
      const cli = (async () => {
        for (let j = 0; writers.some((p) => p.child.exitCode === null && p.child.signalCode === null); j++) {
          const draft = j % 3 === 2;
          const id = `cli.${round}.${j}`;
          const args = [
            BIN,
            'register',
            draft ? 'draft' : 'cli',
            '--source',
            `s3://${draft ? 'draft' : 'cli'}/${id}`,
            '--run-id',
            id,
            '--repo',
            dir,
            ...(draft ? ['--no-commit'] : []),
          ];
          const p = start(args, env);
          if (draft) draftStarted++;
          else cliStarted++;
          const killAfter = Math.random() < 0.7 ? Math.random() * (cliMs + 150) : undefined;
          const timer = killAfter === undefined ? undefined : setTimeout(() => kill(p), killAfter);
          const { code } = await p.exited;
          clearTimeout(timer);
          if (p.killed) {
            if (draft) draftKilled++;
            else cliKilled++;
          } else if (code === 0 && !draft) {
            const m = /^cli: v(\d+) registered \[[0-9a-f]{10}\]$/.exec(p.lines[0] ?? '');
            expect(m, p.lines.join('\n')).not.toBeNull();
            cliAcks.push({ id, version: Number(m![1]) });
          } else if (code !== 0) errors.push(`cli ${id}: exit ${code}: ${p.lines.join(' ')} ${p.stderr.trim()}`);
        }
      })();
      await Promise.all([...killers, cli]);

      for (const p of writers) {
        if (p.killed) killedProcs++;
        const tries = new Set<string>();
        for (const line of p.lines) {
          const [kind, id, op, name, version, commit] = line.split(' ');
          if (kind === 'try') {
            attempted++;
            tries.add(id!);
          } else if (kind === 'ack') {
            tries.delete(id!);
            acks.push({
              id: id!,
              op: op!,
              name: name!,
              version: Number(version),
              commit: commit === '-' ? null : commit!,
            });
          } else if (kind === 'err') {
            tries.delete(id!);
            errors.push(line);
          }
        }
        inFlightKilled += tries.size; // started, then killed before it answered
      }
      const left = await leftovers(gitdir);
      if (left.length) {
        roundsWithLeftovers++;
        staleFound += left.length;
      }
      roundAcks.push(acks.length + cliAcks.length - before);
    }

    // Nothing failed for any reason but the kills: no lock timeouts, no "uncommitted changes", no broken files.
    expect(errors).toEqual([]);
    // Every round made progress although the previous one left locks behind: recovery needs nobody.
    expect(
      roundAcks.every((n) => n > 0),
      `acknowledged writes per round: ${roundAcks.join(',')}`,
    ).toBe(true);

    // The next write succeeds at once, without manual cleanup, and leaves no lock behind.
    const last = await mregOk([
      'register',
      'cli',
      '--source',
      's3://cli/final',
      '--run-id',
      'cli-final',
      '--repo',
      dir,
    ]);
    cliAcks.push({ id: 'cli-final', version: Number(/v(\d+) registered/.exec(last.stdout)![1]) });
    expect(await leftovers(gitdir)).toEqual([]);

    // The repository is sound and the registry valid.
    await git(dir, 'fsck', '--strict', '--no-progress');
    expect((await mregOk(['validate', '--ref', 'main', '--repo', dir])).stdout).toMatch(/^ok: commit [0-9a-f]{10}: /);

    // History is linear and every commit message is one readable line naming what it did.
    const log = (await git(dir, 'log', '--format=%H|%P|%s', 'main')).trim().split('\n');
    expect(log.every((l) => l.split('|')[1]!.split(' ').filter(Boolean).length <= 1)).toBe(true);
    expect(log.filter((l) => !/\|(registry: initialised|(alpha|beta|gamma|cli): .+)$/.test(l))).toEqual([]);
    const onBranch = new Set(log.map((l) => l.split('|')[0]!));

    // Every acknowledged write is on the branch, and every registration it acknowledged is there as registered.
    for (const a of acks) if (a.commit) expect(onBranch.has(a.commit), `acknowledged ${a.id} (${a.commit})`).toBe(true);
    const landedUnacked = log.length - 1 - acks.filter((a) => a.commit).length - cliAcks.length;
    const registrations = [
      ...acks.filter((a) => a.op === 'register').map((a) => ({ name: a.name, version: a.version, id: a.id })),
      ...cliAcks.map((c) => ({ name: 'cli', version: c.version, id: c.id })),
    ];
    const keys = registrations.map((r) => `${r.name}/${r.version}`);
    expect(new Set(keys).size).toBe(keys.length); // no number handed out twice
    for (const r of registrations) {
      const doc = YAML.parse(await git(dir, 'show', `main:models/${r.name}/versions/${r.version}.yaml`)) as {
        run_id: string;
        source: string;
      };
      expect(doc.run_id, `${r.name} v${r.version}`).toBe(r.id);
    }
    // Version numbers are exactly 1..N per model: none skipped by a killed write, none reused.
    for (const name of [...MODELS, 'cli']) {
      const files = (await git(dir, 'ls-tree', '--name-only', 'main', `models/${name}/versions/`)).trim().split('\n');
      const numbers = files.map((f) => Number(path.basename(f, '.yaml'))).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    }
    // No partial file in any commit: every version of every file ever committed parses and validates
    // (validate --ref above covers the tip; this covers what earlier commits held).
    const blobs = (await git(dir, 'rev-list', '--objects', 'main'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .filter((p) => p[1]?.startsWith('models/'));
    const oids = blobs.map(([oid, p]) => ({ oid: oid!, p: p! })).filter((b) => b.p.endsWith('.yaml'));
    const batch = await new Promise<string>((resolve, reject) => {
      const c = spawn('git', ['cat-file', '--batch'], { cwd: dir });
      let out = '';
      c.stdout.setEncoding('latin1').on('data', (d: string) => (out += d));
      c.on('error', reject);
      c.on('close', () => resolve(out));
      c.stdin.end(oids.map((b) => b.oid).join('\n') + '\n');
    });
    let pos = 0;
    for (const b of oids) {
      const header = batch.slice(pos, batch.indexOf('\n', pos));
      const size = Number(header.split(' ')[2]);
      const start = pos + header.length + 1;
      const bytes = Buffer.from(batch.slice(start, start + size), 'latin1');
      pos = start + size + 1;
      const where = parsePath(b.p);
      const kind =
        where.kind === 'model'
          ? 'model'
          : where.kind === 'alias'
            ? 'alias'
            : where.kind === 'tombstone'
              ? 'tombstone'
              : 'model-version';
      const r = parseDocumentText(kind, b.p, bytes);
      expect(r.ok, `${b.p} (${b.oid}): ${r.ok ? '' : JSON.stringify(r.problems)}`).toBe(true);
    }

    // The work tree: clean, except the --no-commit drafts (which are left uncommitted by design); each of
    // those files is whole (written by rename), even when its writer was killed.
    const status = (await git(dir, 'status', '--porcelain', '--untracked-files=all')).split('\n').filter(Boolean);
    expect(status.filter((l) => !l.startsWith('?? models/draft/'))).toEqual([]);
    const draftFiles = status.map((l) => l.slice(3));
    for (const f of draftFiles) {
      const r = parseDocumentText(
        f.endsWith('/model.yaml') ? 'model' : 'model-version',
        f,
        await readFile(path.join(dir, f)),
      );
      expect(r.ok, `${f}: ${r.ok ? '' : JSON.stringify(r.problems)}`).toBe(true);
    }
    const tmpLeft =
      (await readdir(path.join(gitdir, 'mreg-tmp')).catch(() => [])).length +
      (await readdir(gitdir)).filter((f) => f.endsWith('.tmp')).length;

    reportFigures('crash', {
      rounds: round,
      writer_processes: round * LIB_WRITERS + cliStarted + draftStarted,
      processes_killed: killedProcs + cliKilled + draftKilled,
      writes_attempted: attempted + cliStarted + draftStarted,
      writes_acknowledged: acks.length + cliAcks.length,
      writes_killed_in_flight: inFlightKilled,
      killed_but_landed: landedUnacked,
      acknowledged_lost: 0,
      stale_locks_recovered: staleFound,
      rounds_with_stale_locks: roundsWithLeftovers,
      commits: log.length,
      blobs_checked: oids.length,
      temp_files_left_in_gitdir: tmpLeft,
      cli_write_ms: cliMs,
      seconds: Math.round((Date.now() - started) / 1000),
    });
    expect(attempted + cliStarted + draftStarted).toBeGreaterThanOrEqual(100);
  }, 400_000);

  it('each kind of leftover a killed writer can leave (write lock, ref lock, index lock, temp files) is recovered by the next command, with nobody cleaning up', async () => {
    const dir = await tempDir('mreg-crash-');
    await mregOk(['init', '--repo', dir]);
    await mregOk(['register', 'fraud', '--source', 's3://fraud/1', '--repo', dir]);
    const gitdir = path.join(dir, '.git');
    const head = (await git(dir, 'rev-parse', 'HEAD')).trim();
    // A pid that certainly no longer runs: a process that has exited.
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));

    // 1. An mreg writer killed while holding everything: its write lock (dead pid), the ref lock and
    //    index.lock it had recorded, a half-written ref lock's content, and a temp file.
    const token = 'feedfacecafebeef00112233';
    await writeFile(
      path.join(gitdir, 'mreg-write.lock'),
      JSON.stringify({ pid: deadPid, hostname: os.hostname(), started: new Date().toISOString(), token }) + '\n',
    );
    await writeFile(path.join(gitdir, 'refs/heads/main.lock'), 'deadbeef'); // torn: half an oid
    await writeFile(path.join(gitdir, 'index.lock'), 'DIRC');
    const held = await Promise.all(
      ['refs/heads/main.lock', 'index.lock'].map(async (f) => ({
        path: path.join(gitdir, f),
        ino: (await stat(path.join(gitdir, f))).ino,
      })),
    );
    await writeFile(path.join(gitdir, 'mreg-write.lock.held'), JSON.stringify({ token, locks: held }));
    // Its temp files: a work-tree file on its way in, and the owner record it was about to link as the lock.
    await mkdir(path.join(gitdir, 'mreg-tmp'), { recursive: true });
    const temps = [
      path.join(gitdir, 'mreg-tmp', '0123456789abcdef'),
      path.join(gitdir, `mreg-write.lock.${deadPid}.${token}.tmp`),
      path.join(gitdir, 'mreg-checkout.json.0a1b2c3d.tmp'),
    ];
    // …and one that is not a leftover: a live writer's owner record, kept as long as it waits for the lock.
    const waiting = path.join(gitdir, `mreg-write.lock.${process.pid}.0123456789abcdef01234567.tmp`);
    for (const t of [...temps, waiting]) {
      await writeFile(t, 'partial');
      await utimes(t, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    }
    const r1 = await mregOk(['register', 'fraud', '--source', 's3://fraud/2', '--repo', dir]);
    expect(r1.stdout).toMatch(/^fraud: v2 registered/);
    expect(await leftovers(gitdir)).toEqual([]);
    expect((await git(dir, 'rev-parse', 'HEAD~1')).trim()).toBe(head);
    for (const t of temps) expect(existsSync(t), t).toBe(false);
    expect(existsSync(waiting), "a live waiter's record was removed").toBe(true);
    await rm(waiting);

    // 2. A native git killed mid-commit: index.lock and the ref lock with no owner record, untouched for a
    //    while (git holds them for milliseconds), and no mreg write lock at all.
    await writeFile(path.join(gitdir, 'index.lock'), '');
    await writeFile(path.join(gitdir, 'refs/heads/main.lock'), '');
    const past = new Date(Date.now() - 60_000);
    for (const f of ['index.lock', 'refs/heads/main.lock']) await utimes(path.join(gitdir, f), past, past);
    const r2 = await mregOk(['register', 'fraud', '--source', 's3://fraud/3', '--repo', dir]);
    expect(r2.stdout).toMatch(/^fraud: v3 registered/);
    expect(await leftovers(gitdir)).toEqual([]);

    // 3. An mreg write lock whose owner record is unreadable (killed between creating and writing it) and old.
    await writeFile(path.join(gitdir, 'mreg-write.lock'), '{"pid": 12');
    await utimes(path.join(gitdir, 'mreg-write.lock'), past, past);
    const r3 = await mregOk(['register', 'fraud', '--source', 's3://fraud/4', '--repo', dir]);
    expect(r3.stdout).toMatch(/^fraud: v4 registered/);
    expect(await leftovers(gitdir)).toEqual([]);

    await git(dir, 'fsck', '--strict', '--no-progress');
    expect((await git(dir, 'status', '--porcelain')).trim()).toBe('');
    expect((await mregOk(['validate', '--repo', dir])).stdout).toMatch(/^ok: working tree: 1 model, 4 versions/);
  });
});
