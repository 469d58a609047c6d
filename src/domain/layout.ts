// Where each document lives in the registry repository. Pure string functions: the one place paths are decided.
import { encodeName } from './names.js';

export const REGISTRY_FILE = 'registry.yaml';
export const MODELS_DIR = 'models';

export function modelDir(name: string): string {
  return dirPath(encodeName(name));
}
export function modelFilePath(name: string): string {
  return dirModelFile(encodeName(name));
}
export function versionFilePath(name: string, version: number): string {
  return dirVersionFile(encodeName(name), version);
}
/** A model folder by its `<dir>` (the encoded name): `models/<dir>`. */
export function dirPath(dir: string): string {
  return `${MODELS_DIR}/${dir}`;
}
export function dirModelFile(dir: string): string {
  return `${dirPath(dir)}/model.yaml`;
}
/** The folder of a model's version files: `models/<dir>/versions`. */
export function dirVersionsFolder(dir: string): string {
  return `${dirPath(dir)}/versions`;
}
export function dirVersionFile(dir: string, version: number): string {
  return `${dirVersionsFolder(dir)}/${version}.yaml`;
}
/** The folder of a model's alias files: `models/<dir>/aliases`. */
export function dirAliasesFolder(dir: string): string {
  return `${dirPath(dir)}/aliases`;
}
/** An alias's file: `models/<dir>/aliases/<enc(alias)>.yaml`, the alias encoded by the model-name rule. */
export function dirAliasFile(dir: string, alias: string): string {
  return `${dirAliasesFolder(dir)}/${encodeName(alias)}.yaml`;
}
/** The folder of a model's tombstones: `models/<dir>/deleted`. */
export function dirDeletedFolder(dir: string): string {
  return `${dirPath(dir)}/deleted`;
}
/** A deleted version's tombstone: `models/<dir>/deleted/<n>.yaml`. */
export function dirTombstoneFile(dir: string, version: number): string {
  return `${dirDeletedFolder(dir)}/${version}.yaml`;
}

export type ParsedPath =
  | { kind: 'registry' }
  | { kind: 'model'; dir: string }
  | { kind: 'version'; dir: string; version: number }
  /** `encoded` is the file's stem, the alias name as the model-name rule spells it. */
  | { kind: 'alias'; dir: string; encoded: string }
  | { kind: 'tombstone'; dir: string; version: number }
  /** A file under models/ that has no place in the format. */
  | { kind: 'stray'; dir?: string }
  /** Anything outside the registry's files (README, CI config, …): not ours to judge. */
  | { kind: 'other' };

/** What a repository path is in the registry's layout. */
export function parsePath(path: string): ParsedPath {
  if (path === REGISTRY_FILE) return { kind: 'registry' };
  if (!path.startsWith(MODELS_DIR + '/')) return { kind: 'other' };
  const parts = path.split('/');
  const dir = parts[1];
  if (!dir) return { kind: 'stray' };
  if (parts.length === 3 && parts[2] === 'model.yaml') return { kind: 'model', dir };
  if (parts.length === 4 && (parts[2] === 'versions' || parts[2] === 'deleted')) {
    const m = /^([1-9][0-9]{0,9})\.yaml$/.exec(parts[3]!);
    if (m) return { kind: parts[2] === 'versions' ? 'version' : 'tombstone', dir, version: Number(m[1]) };
  }
  if (parts.length === 4 && parts[2] === 'aliases') {
    const m = /^(.+)\.yaml$/.exec(parts[3]!);
    if (m) return { kind: 'alias', dir, encoded: m[1]! };
  }
  return { kind: 'stray', dir };
}

/** The model folder a path lies in (`models/<dir>/…` → `<dir>`), or undefined outside one. */
export function modelDirOf(path: string): string | undefined {
  const where = parsePath(path);
  return 'dir' in where ? where.dir : undefined;
}
