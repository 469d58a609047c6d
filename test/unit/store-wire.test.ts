// The push wire formats: packfile v2 and smart-HTTP pkt-lines (the integration tests push to git http-backend).
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hashObject } from '../../src/store/git/objects.js';
import { applyDelta, PackCorruptError } from '../../src/store/git/pack-reader.js';
import { buildPack, packObjectHeader } from '../../src/store/git/pack-writer.js';
import {
  FLUSH_PKT,
  parseAdvertisement,
  parsePktLines,
  parseReport,
  pktLine,
} from '../../src/store/git/receive-pack.js';
import { createLimiter, mapLimit } from '../../src/util/concurrency.js';

describe('packfile', () => {
  it('encodes object headers: type in bits 4-6, size 4 bits then 7 bits per byte', () => {
    expect([...packObjectHeader('blob', 0)]).toEqual([0x30]);
    expect([...packObjectHeader('blob', 15)]).toEqual([0x3f]);
    expect([...packObjectHeader('blob', 16)]).toEqual([0xb0, 0x01]);
    expect([...packObjectHeader('commit', 300)]).toEqual([0x9c, 0x12]);
    expect([...packObjectHeader('tree', 100_000)]).toEqual([0xa0, 0xea, 0x30]); // 0x186a0: 0, then 0x6a, 0x30
  });

  it('writes header, whole deflated objects and the trailing SHA-1', async () => {
    const objects = [
      { type: 'blob' as const, body: Buffer.from('hello\n') },
      { type: 'blob' as const, body: Buffer.alloc(5000, 'x') },
    ];
    const pack = await buildPack(objects);
    expect(pack.toString('latin1', 0, 4)).toBe('PACK');
    expect(pack.readUInt32BE(4)).toBe(2);
    expect(pack.readUInt32BE(8)).toBe(2);
    expect(createHash('sha1').update(pack.subarray(0, -20)).digest().equals(pack.subarray(-20))).toBe(true);
    // Walk the objects back: header, then a zlib stream whose end we find by inflating.
    let pos = 12;
    for (const o of objects) {
      const header = packObjectHeader(o.type, o.body.length);
      expect(pack.subarray(pos, pos + header.length).equals(header)).toBe(true);
      pos += header.length;
      const inflater = zlib.inflateSync(pack.subarray(pos, pack.length - 20), { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      expect(inflater.buffer.equals(o.body)).toBe(true);
      pos += inflater.engine.bytesWritten;
    }
    expect(pos).toBe(pack.length - 20);
    expect(hashObject('blob', objects[0]!.body)).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('writes an empty pack', async () => {
    const pack = await buildPack([]);
    expect(pack.length).toBe(32);
    expect(pack.readUInt32BE(8)).toBe(0);
  });
});

describe('delta', () => {
  it('applies copy and insert instructions', () => {
    const base = Buffer.from('hello world');
    // source size 11, result size 11; copy 6 bytes from offset 0; insert "there"
    const delta = Buffer.from([11, 11, 0x80 | 0x10, 6, 5, ...Buffer.from('there')]);
    expect(applyDelta(base, delta).toString()).toBe('hello there');
    // copy with a 2-byte offset and a size of 0 meaning 0x10000
    const big = Buffer.alloc(0x10100, 7);
    big[0x100] = 1;
    const d2 = Buffer.from([0x80, 0x82, 0x04, 0x80, 0x80, 0x04, 0x80 | 0x02, 0x01]);
    const out = applyDelta(big, d2);
    expect(out.length).toBe(0x10000);
    expect(out[0]).toBe(1);
    expect(() => applyDelta(Buffer.from('short'), delta)).toThrow(PackCorruptError);
    expect(() => applyDelta(base, Buffer.from([11, 3, 0x80 | 0x10, 9]))).toThrow(PackCorruptError);
  });
});

describe('pkt-line', () => {
  it('frames with a 4-hex-digit length that includes itself', () => {
    expect(pktLine('hello\n').toString()).toBe('000ahello\n');
    expect(FLUSH_PKT.toString()).toBe('0000');
    const lines = parsePktLines(Buffer.concat([pktLine('a\n'), FLUSH_PKT, pktLine('bc')]));
    expect(lines.map((l) => (l === null ? null : l.toString()))).toEqual(['a\n', null, 'bc']);
  });

  it('parses a receive-pack advertisement, including an empty repository’s', () => {
    const oid = 'a'.repeat(40);
    const body = Buffer.concat([
      pktLine('# service=git-receive-pack\n'),
      FLUSH_PKT,
      pktLine(`${oid} refs/heads/main\0report-status delete-refs ofs-delta agent=git/2.39\n`),
      pktLine(`${'b'.repeat(40)} refs/tags/v1\n`),
      FLUSH_PKT,
    ]);
    const adv = parseAdvertisement(body);
    expect([...adv.refs]).toEqual([
      ['refs/heads/main', oid],
      ['refs/tags/v1', 'b'.repeat(40)],
    ]);
    expect(adv.capabilities.has('report-status')).toBe(true);
    const empty = parseAdvertisement(
      Buffer.concat([
        pktLine('# service=git-receive-pack\n'),
        FLUSH_PKT,
        pktLine(`${'0'.repeat(40)} capabilities^{}\0report-status\n`),
        FLUSH_PKT,
      ]),
    );
    expect(empty.refs.size).toBe(0);
    expect(empty.capabilities.has('report-status')).toBe(true);
  });

  it('parses report-status', () => {
    const ok = parseReport(Buffer.concat([pktLine('unpack ok\n'), pktLine('ok refs/heads/main\n'), FLUSH_PKT]));
    expect(ok.unpackOk).toBe(true);
    expect(ok.refs.get('refs/heads/main')).toEqual({ ok: true });
    const ng = parseReport(
      Buffer.concat([pktLine('unpack ok\n'), pktLine('ng refs/heads/main failed to update ref\n'), FLUSH_PKT]),
    );
    expect(ng.refs.get('refs/heads/main')).toEqual({ ok: false, message: 'failed to update ref' });
    expect(parseReport(Buffer.concat([pktLine('unpack index-pack abnormal exit\n'), FLUSH_PKT])).unpackOk).toBe(false);
  });
});

describe('bounded concurrency', () => {
  it('never runs more than the limit at once and keeps results in order', async () => {
    let active = 0;
    let peak = 0;
    const task = async (i: number): Promise<number> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      active--;
      return i * 2;
    };
    expect(await mapLimit([...Array(40).keys()], 4, task)).toEqual([...Array(40).keys()].map((i) => i * 2));
    expect(peak).toBe(4);
    peak = 0;
    const limit = createLimiter(3);
    await Promise.all([...Array(20).keys()].map((i) => limit(() => task(i))));
    expect(peak).toBe(3);
  });
});
