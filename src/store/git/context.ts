// What the read-side operations share about one open repository: where it lives, its object reader
// (with its caches) and its refs. The write side adds its own parts (write-context.ts).
import type { ObjectReader } from './object-reader.js';
import type { RefStore } from './refs.js';
import type { RepoPaths } from './repository.js';

export interface GitContext {
  readonly paths: RepoPaths;
  readonly objects: ObjectReader;
  readonly refs: RefStore;
}
