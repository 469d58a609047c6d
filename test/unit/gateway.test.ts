// The gateway's pure parts: credentials as MLflow's client sends them, the failure throttle, and registry.yaml's
// gateway rules judged on planned changes (the domain's own planners make them).
import { describe, expect, it } from 'vitest';
import { createModelVersion, deleteModelVersion, transitionModelVersionStage } from '../../src/domain/ops/versions.js';
import { deleteRegisteredModel, renameRegisteredModel, setRegisteredModelAlias } from '../../src/domain/ops/models.js';
import { modelEntry, type ModelEntry, type VersionFile } from '../../src/domain/state.js';
import { parseAuthorization } from '../../src/gateway/auth.js';
import { checkGatewayRules } from '../../src/gateway/governance.js';
import { FailureThrottle } from '../../src/gateway/throttle.js';
import { hashToken } from '../../src/gateway/tokens.js';

const T = '2026-01-01T00:00:00.000Z';
const ctx = { now: Date.UTC(2026, 0, 2), user: 'ci' };

function model(stages: Array<VersionFile['stage']>, aliases: Record<string, number> = {}): ModelEntry {
  const versions = new Map<number, VersionFile>(
    stages.map((stage, i) => [
      i + 1,
      { version: i + 1, source: `s3://b/${i + 1}`, stage, status: 'READY', created_at: T, updated_at: T },
    ]),
  );
  return modelEntry({ dir: 'fraud', file: { name: 'fraud', created_at: T, updated_at: T }, versions, aliases });
}

describe('parseAuthorization', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
  it.each([
    ['Bearer mreg_abc', { token: 'mreg_abc' }],
    ['bearer   mreg_abc  ', { token: 'mreg_abc' }],
    [basic('ci:mreg_abc'), { token: 'mreg_abc', user: 'ci' }],
    [basic('ci:pa:ss'), { token: 'pa:ss', user: 'ci' }],
    [basic(':mreg_abc'), { token: 'mreg_abc', user: '' }],
  ])('%s', (header, expected) => expect(parseAuthorization(header)).toEqual(expected));

  it.each([['Bearer'], ['Token mreg_abc'], [basic('ci:')], [basic('no-colon')], ['Basic !!!'], ['Bearer a b']])(
    'carries no token: %s',
    (header) => expect(parseAuthorization(header)).toBeUndefined(),
  );

  it('hashes are SHA-256, hex, labelled', () => {
    expect(hashToken('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('FailureThrottle', () => {
  it('answers the first failures at once, then blocks for a doubling time, capped; a success or a quiet period clears', () => {
    let now = 0;
    const t = new FailureThrottle({ free: 3, baseMs: 1_000, maxMs: 4_000, forgetMs: 60_000 }, () => now);
    expect([t.failed('a'), t.failed('a'), t.failed('a')]).toEqual([0, 0, 0]);
    expect(t.blockedFor('a')).toBe(0);
    expect(t.failed('a')).toBe(1_000);
    expect(t.blockedFor('a')).toBe(1_000);
    expect(t.blockedFor('b')).toBe(0);
    now += 1_000;
    expect(t.blockedFor('a')).toBe(0);
    expect([t.failed('a'), t.failed('a'), t.failed('a')]).toEqual([2_000, 4_000, 4_000]);
    t.succeeded('a');
    expect(t.blockedFor('a')).toBe(0);
    for (let i = 0; i < 5; i++) t.failed('c');
    expect(t.blockedFor('c')).toBeGreaterThan(0);
    now += 60_001;
    expect(t.blockedFor('c')).toBe(0);
    expect(t.failed('c')).toBe(0);
  });

  it('keeps at most maxClients records (the oldest goes)', () => {
    const t = new FailureThrottle({ free: 0, maxClients: 2 }, () => 0);
    t.failed('a');
    t.failed('b');
    t.failed('c');
    expect(t.blockedFor('a')).toBe(0);
    expect(t.blockedFor('b')).toBeGreaterThan(0);
    expect(t.blockedFor('c')).toBeGreaterThan(0);
  });
});

describe('checkGatewayRules', () => {
  const stages = { stages: ['None', 'Staging', 'Archived'] as Array<VersionFile['stage']> };
  const refused = (f: () => void, rule: string, text: string) => {
    let e: { code?: string; message?: string; details?: { rule?: string } } | undefined;
    try {
      f();
    } catch (x) {
      e = x as typeof e;
    }
    expect(e?.code).toBe('PERMISSION_DENIED');
    expect(e?.details?.rule).toBe(rule);
    expect(e?.message).toContain(text);
  };

  it('allows everything when absent, and registering (a version is born in None) under any stage rule', () => {
    const m = model(['Production']);
    checkGatewayRules(undefined, transitionModelVersionStage(ctx, m, 1, 'Archived', false));
    checkGatewayRules({ stages: [] }, createModelVersion(ctx, m, { source: 's3://x' }));
  });

  it('gateway.stages judges both ends of a move, the versions archive_existing_versions moves, and deletions', () => {
    const m = model(['Staging', 'Production', 'None']);
    checkGatewayRules(stages, transitionModelVersionStage(ctx, m, 3, 'Staging', false));
    refused(
      () => checkGatewayRules(stages, transitionModelVersionStage(ctx, m, 1, 'production', false)),
      'gateway.stages',
      'fraud v1 Staging → Production',
    );
    refused(
      () => checkGatewayRules(stages, transitionModelVersionStage(ctx, m, 2, 'Archived', false)),
      'gateway.stages',
      'fraud v2 Production → Archived',
    );
    refused(
      () => checkGatewayRules({ stages: ['None', 'Staging'] }, transitionModelVersionStage(ctx, m, 3, 'Staging', true)),
      'gateway.stages',
      'fraud v1 Staging → Archived',
    );
    refused(() => checkGatewayRules(stages, deleteModelVersion(ctx, m, 2)), 'gateway.stages', 'v2 is in Production');
    refused(() => checkGatewayRules(stages, deleteRegisteredModel(ctx, m)), 'gateway.stages', 'v2 is in Production');
    checkGatewayRules(stages, deleteModelVersion(ctx, m, 3));
  });

  it('gateway.aliases: set, moved and dropped aliases must be listed; a rename moves none', () => {
    const m = model(['None', 'None'], { champion: 1, challenger: 2 });
    const rules = { aliases: ['challenger'] };
    checkGatewayRules(rules, setRegisteredModelAlias(ctx, m, 'challenger', 1)!);
    refused(
      () => checkGatewayRules(rules, setRegisteredModelAlias(ctx, m, 'champion', 2)!),
      'gateway.aliases',
      "alias 'champion' of fraud would move from v1 to v2",
    );
    refused(() => checkGatewayRules(rules, deleteModelVersion(ctx, m, 1)), 'gateway.aliases', 'would be removed');
    checkGatewayRules(rules, deleteModelVersion(ctx, m, 2));
    checkGatewayRules({ aliases: [], stages: [] }, renameRegisteredModel(ctx, m, undefined, 'fraud-2'));
  });
});
