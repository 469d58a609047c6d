// The pure parts of events and notify: facts judged three ways at a merge, MLflow's signature and body,
// which addresses a webhook may reach, Retry-After, and the read-ahead that overlaps deriving with delivering.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { modelEntry } from '../../src/domain/state.js';
import { eventsOfFacts, mergeChanges, type Facts } from '../../src/events/facts.js';
import { formatEventId, parseEventId, type RegistryEvent } from '../../src/events/types.js';
import { isPrivateAddress } from '../../src/notify/address.js';
import { readAhead } from '../../src/notify/event-source.js';
import {
  asciiJson,
  entityAction,
  pythonIsoTime,
  signature,
  webhookBody,
  webhookHeaders,
} from '../../src/notify/payload.js';
import { parseRetryAfter } from '../../src/notify/post.js';

const k = (...p: Array<string | number>): string => JSON.stringify(p);
const facts = (o: Record<string, string | number | boolean>): Facts => new Map(Object.entries(o));

describe('a merge, fact by fact', () => {
  const S = k('s', 'fraud', 3);
  it.each([
    // [case, base, first parent, second parent, merged, reported from parent]
    ['clean: only the branch changed it', 'None', 'None', 'Staging', 'Staging', undefined],
    ['clean: only the first parent changed it', 'None', 'Staging', 'None', 'Staging', undefined],
    ['both changed it the same way', 'None', 'Staging', 'Staging', 'Staging', undefined],
    ['conflict resolved to the first parent', 'None', 'Staging', 'Archived', 'Staging', 1],
    ['conflict resolved to the second parent', 'None', 'Staging', 'Archived', 'Archived', 0],
    ['conflict resolved to something new', 'None', 'Staging', 'Archived', 'Production', 0],
    ['an edit in the merge itself', 'None', 'None', 'None', 'Production', 0],
    ['both agreed, the merge overrode them', 'None', 'Staging', 'Staging', 'Archived', 0],
  ] as const)('%s', (_name, b, p1, p2, m, from) => {
    const r = mergeChanges(facts({ [S]: b }), [facts({ [S]: p1 }), facts({ [S]: p2 })], facts({ [S]: m }));
    expect(r.get(S)).toBe(from);
  });

  it('a version created in a merge, and one only its branch created', () => {
    const v = (n: number) => [k('v', 'fraud', n), true] as const;
    const s = (n: number, st: string) => [k('s', 'fraud', n), st] as const;
    const base: Facts = new Map<string, string | boolean>([v(1), s(1, 'None')]);
    const p1: Facts = new Map<string, string | boolean>([v(1), s(1, 'None')]);
    const p2: Facts = new Map<string, string | boolean>([v(1), s(1, 'None'), v(2), s(2, 'None')]);
    const merged: Facts = new Map<string, string | boolean>([
      v(1),
      s(1, 'None'),
      v(2),
      s(2, 'None'),
      v(3),
      s(3, 'Staging'),
    ]);
    expect([...mergeChanges(base, [p1, p2], merged).keys()].sort()).toEqual([k('s', 'fraud', 3), k('v', 'fraud', 3)]);
  });
});

describe('facts to events', () => {
  it('a moved alias carries the version it left; a new version in a stage is also a transition', () => {
    const before = facts({ [k('m', 'fraud')]: true, [k('a', 'fraud', 'champion')]: 1 });
    const after = facts({
      [k('m', 'fraud')]: true,
      [k('a', 'fraud', 'champion')]: 2,
      [k('v', 'fraud', 2)]: true,
      [k('s', 'fraud', 2)]: 'Staging',
    });
    const entry = modelEntry({
      dir: 'fraud',
      file: { name: 'fraud', created_at: '', updated_at: '' },
      versions: new Map([
        [
          2,
          {
            version: 2,
            source: 's3://x',
            stage: 'Staging' as const,
            status: 'READY' as const,
            created_at: '',
            updated_at: '',
          },
        ],
      ]),
    });
    const ev = eventsOfFacts(before, after, new Map([['fraud', entry]]));
    expect(ev.map((e) => [e.type, e.data])).toEqual([
      [
        'model_version.created',
        { name: 'fraud', version: '2', source: 's3://x', run_id: null, tags: {}, description: null },
      ],
      ['model_version.stage_transitioned', { name: 'fraud', version: '2', from_stage: 'None', to_stage: 'Staging' }],
      ['model_version_alias.created', { name: 'fraud', alias: 'champion', version: '2', previous_version: '1' }],
    ]);
  });

  it('event ids: commit:position, and rewinds from..to:position', () => {
    const c = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(parseEventId(`${c}:3`)).toEqual({ commit: c, index: 3 });
    expect(parseEventId(`${c}..${b}:0`)).toEqual({ commit: b, index: 0, rewindFrom: c });
    expect(formatEventId({ commit: b, index: 0, rewindFrom: c })).toBe(`${c}..${b}:0`);
    for (const bad of ['main', 'HEAD~2', `${c}`, `${c}:`, `${c}:-1`, `${c.slice(1)}:1`, `${c}:1234567890`])
      expect(parseEventId(bad), bad).toBeUndefined();
  });
});

describe("MLflow's wire format", () => {
  const event: RegistryEvent = {
    id: `${'c'.repeat(40)}:0`,
    type: 'model_version.stage_transitioned',
    commit: 'c'.repeat(40),
    author: { name: 'Zoë', email: 'zoe@example.com' },
    time: 0,
    model: 'fraud',
    version: 7,
    data: { name: 'fraud', version: '7', from_stage: 'Staging', to_stage: 'Production' },
  };

  it('entity and action, the body, and Python’s timestamp spelling', () => {
    expect(entityAction('model_version_alias.created')).toEqual({ entity: 'model_version_alias', action: 'created' });
    expect(pythonIsoTime(Date.UTC(2025, 6, 31, 8, 27, 32, 80))).toBe('2025-07-31T08:27:32.080000+00:00');
    const body = webhookBody(event, Date.UTC(2026, 0, 1));
    expect(/[^\x00-\x7f]/.test(body)).toBe(false);
    expect(JSON.parse(body)).toEqual({
      entity: 'model_version',
      action: 'stage_transitioned',
      timestamp: '2026-01-01T00:00:00.000000+00:00',
      data: { ...event.data, commit: event.commit, author: { name: 'Zoë', email: 'zoe@example.com' } },
    });
    expect(asciiJson({ s: 'é\u2028😀' })).toBe('{"s":"\\u00e9\\u2028\\ud83d\\ude00"}');
  });

  it('signs "{delivery_id}.{timestamp}.{body}" with HMAC-SHA256, base64, prefixed v1,', () => {
    const h = webhookHeaders('id-1', '{"a":1}', 1_700_000_000_123, 'secret', 'ua');
    expect(h['X-MLflow-Timestamp']).toBe('1700000000');
    const expected = createHmac('sha256', 'secret').update('id-1.1700000000.{"a":1}').digest('base64');
    expect(h['X-MLflow-Signature']).toBe(`v1,${expected}`);
    expect(signature('secret', 'id-1', '1700000000', '{"a":1}')).toBe(`v1,${expected}`);
    expect(webhookHeaders('id-1', '{}', 0, undefined, 'ua')['X-MLflow-Signature']).toBeUndefined();
  });
});

describe('where a webhook may connect', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', true],
    ['8.8.8.8', false],
    ['2001:4860:4860::8888', false],
    ['not-an-ip', true],
  ])('%s private: %s', (ip, priv) => expect(isPrivateAddress(ip)).toBe(priv));

  it('Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('read-ahead', () => {
  it('yields everything in order, pulls ahead while the consumer waits, and stops the source early', async () => {
    let produced = 0;
    let finallyRan = false;
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 100; i++) {
          produced++;
          yield i;
        }
      } finally {
        finallyRan = true;
      }
    }
    const seen: number[] = [];
    for await (const x of readAhead(source(), 10)) {
      seen.push(x);
      if (x === 0) {
        await new Promise((r) => setTimeout(r, 20));
        expect(produced).toBeGreaterThan(5);
      }
      if (x === 30) break;
    }
    expect(seen).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(produced).toBeLessThanOrEqual(42);
    expect(finallyRan).toBe(true);
  });

  it('passes on an error of the source after what came before it', async () => {
    async function* source(): AsyncGenerator<number> {
      yield 1;
      throw new Error('boom');
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const x of readAhead(source(), 4)) seen.push(x);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([1]);
  });
});
