// The operations between two models when tag keys and aliases are names of Object.prototype members
// (`toString`, `constructor`, …): valid under MLflow's rules, and not to be confused with what a plain object inherits.
import { describe, expect, it } from 'vitest';
import { diffModels } from '../../src/domain/diff.js';
import { buildModel } from '../helpers/state.js';

describe('diffModels with keys named like Object.prototype members', () => {
  it('reports a tag set as new and a tag deleted', () => {
    const before = buildModel('fraud', { tags: { constructor: 'a' }, versions: { 1: { tags: { valueOf: 'x' } } } });
    const after = buildModel('fraud', { tags: { toString: 'b' }, versions: { 1: { tags: { hasOwnProperty: 'y' } } } });
    expect(diffModels(before, after)).toEqual([
      { op: 'model_tag_set', name: 'fraud', key: 'toString', before: undefined, after: 'b' },
      { op: 'model_tag_deleted', name: 'fraud', key: 'constructor', before: 'a' },
      { op: 'version_tag_set', name: 'fraud', version: 1, key: 'hasOwnProperty', before: undefined, after: 'y' },
      { op: 'version_tag_deleted', name: 'fraud', version: 1, key: 'valueOf', before: 'x' },
    ]);
  });

  it('reports an alias set as new and an alias deleted', () => {
    const before = buildModel('fraud', { aliases: { constructor: 1 }, versions: { 1: 'None' } });
    const after = buildModel('fraud', { aliases: { toString: 1 }, versions: { 1: 'None' } });
    expect(diffModels(before, after)).toEqual([
      { op: 'alias_set', name: 'fraud', alias: 'toString', before: undefined, after: 1 },
      { op: 'alias_deleted', name: 'fraud', alias: 'constructor', before: 1 },
    ]);
  });
});
