// The record of the last import from one server into one branch: `<gitdir>/mreg/import/<key>.json`, beside
// git's own data and never committed (it describes this clone's imports; a clone without it treats every
// difference between MLflow and git as changed on both sides, so nothing is overwritten silently).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImportRecord } from './plan-import.js';

export function recordPath(gitdir: string, server: string, branch: string): string {
  const key = createHash('sha256').update(`${server}\n${branch}`).digest('hex').slice(0, 16);
  return path.join(gitdir, 'mreg', 'import', `${key}.json`);
}

export async function readRecord(file: string): Promise<ImportRecord | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as ImportRecord;
    if (r && typeof r === 'object' && r.models && typeof r.models === 'object') return r;
  } catch {
    // A torn or hand-damaged record is no record: the next import compares both sides from scratch.
  }
  return undefined;
}

/** Written to a temporary file and renamed, so a crash leaves the old record or the new one. */
export async function writeRecord(file: string, record: ImportRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record) + '\n');
  await rename(tmp, file);
}
