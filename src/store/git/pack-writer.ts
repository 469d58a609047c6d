// Builds a git packfile (version 2, see git's Documentation/gitformat-pack.txt) from whole objects:
// no deltas, which every receiver accepts ("undeltified" is a valid pack, just a larger one).
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { ObjectType } from './objects.js';

const deflate = promisify(zlib.deflate);
const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };

export interface PackObject {
  type: ObjectType;
  body: Uint8Array;
}

/** The per-object header: type in bits 4-6 of the first byte, then the inflated size, 4 bits and then 7 bits per byte. */
export function packObjectHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let byte = (TYPE_CODE[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(byte);
  return Buffer.from(bytes);
}

export async function buildPack(objects: readonly PackObject[]): Promise<Buffer> {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const bodies = await Promise.all(objects.map((o) => deflate(o.body)));
  const chunks: Buffer[] = [header];
  objects.forEach((o, i) => chunks.push(packObjectHeader(o.type, o.body.length), bodies[i] as Buffer));
  const hash = createHash('sha1');
  for (const c of chunks) hash.update(c);
  chunks.push(hash.digest());
  return Buffer.concat(chunks);
}
