// `mreg events` as a process: text and JSON lines, filters, usage errors, and --follow picking up new commits.
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BIN, cliEnv, mreg, mregOk } from '../helpers/cli.js';
import { freshRegistry } from '../helpers/registry.js';
import { until } from '../helpers/webhooks.js';

describe('mreg events', () => {
  it('prints events as text or JSON lines, filtered by --since, --model and --type', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    await r.createModelVersion('fraud', 's3://b/1');
    await r.transitionModelVersionStage('fraud', '1', 'Production', { archiveExistingVersions: false });
    await r.createRegisteredModel('churn');

    const text = await mregOk(['events', '--repo', dir]);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ {2}[0-9a-f]{10} {2}Test Author {2}fraud v1: None → Production$/,
    );

    const json = await mregOk([
      'events',
      '--json',
      '--repo',
      dir,
      '--model',
      'fraud',
      '--type',
      'model_version.created',
      '--type',
      'model_version.stage_transitioned',
    ]);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      'model_version.created',
      'model_version.stage_transitioned',
    ]);
    const since = await mregOk(['events', '--json', '--repo', dir, '--since', events[0].id]);
    expect(
      since.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['model_version.stage_transitioned', 'registered_model.created']);
    expect((await mregOk(['events', '--repo', dir, '--until', 'HEAD~2'])).stdout.trim().split('\n')).toHaveLength(2);

    const badType = await mreg(['events', '--repo', dir, '--type', 'model.exploded']);
    expect([badType.code, badType.stderr.split('\n')[0]]).toEqual([
      2,
      expect.stringContaining("Unknown event type 'model.exploded'"),
    ]);
    const both = await mreg(['events', '--repo', dir, '--follow', '--until', 'HEAD']);
    expect(both.code).toBe(2);
    const badSince = await mreg(['events', '--repo', dir, '--since', 'no-such-ref']);
    expect([badSince.code, badSince.stderr]).toEqual([
      1,
      "mreg: INVALID_PARAMETER_VALUE: 'no-such-ref' (since) is neither an event id, a commit, a ref nor a time (ISO-8601 or epoch milliseconds).\n",
    ]);
  });

  it('--follow prints new events as commits land, until stopped', async () => {
    const { dir, registry: r } = await freshRegistry();
    await r.createRegisteredModel('fraud');
    const child = spawn(process.execPath, [BIN, 'events', '--follow', '--json', '--repo', dir], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => out.includes('registered_model.created'), 20_000, 'the first event');
    await r.createModelVersion('fraud', 's3://b/1');
    await until(() => out.includes('model_version.created'), 20_000, 'the followed event');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type),
    ).toEqual(['registered_model.created', 'model_version.created']);
  });
});
