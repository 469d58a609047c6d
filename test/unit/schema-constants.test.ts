// The JSON Schemas are the source of the registry's limits and stage names. The domain restates a few of them
// as constants (it checks requests before any document exists, with MLflow's messages); this ties each one to
// the schema it comes from, so that changing one without the other fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH } from '../../src/domain/names.js';
import {
  MAX_ALIAS_LENGTH,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_VERSION,
  validateAliasName,
  validateTagKey,
} from '../../src/domain/rules.js';
import { STAGES } from '../../src/domain/stages.js';

const SCHEMAS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');
const schema = (file: string) => JSON.parse(readFileSync(path.join(SCHEMAS, file), 'utf8'));
const common = schema('common.schema.json').definitions;
const model = schema('model.schema.json').properties;

describe('constants restated from schemas/', () => {
  it('the stages, in order', () => {
    expect([...STAGES]).toEqual(common.stage.enum);
  });

  it.each([
    ['tag key length', MAX_TAG_KEY_LENGTH, common.tagKey.maxLength],
    ['tag value length', MAX_TAG_VALUE_LENGTH, common.tags.additionalProperties.maxLength],
    ['alias length', MAX_ALIAS_LENGTH, common.aliasName.maxLength],
    ['version number', MAX_VERSION, common.versionNumber.maximum],
    ['model name length', MAX_NAME_LENGTH, model.name.maxLength],
  ])('%s: %i', (_what, constant, fromSchema) => {
    expect(constant).toBe(fromSchema);
  });

  it('tag keys and aliases: what the request checks accept, the schema patterns accept', () => {
    const tagKey = new RegExp(common.tagKey.pattern, 'u');
    const alias = new RegExp(common.aliasName.pattern, 'u');
    const accepted = (check: () => void) => {
      try {
        check();
        return true;
      } catch {
        return false;
      }
    };
    const samples = ['team', 'a.b', 'a b', 'x:y', 'p/q', 'é', '数据', '_-', 'a$b', 'a\tb', 'ab*', 'a\u200b', 'v7', 'x'];
    for (const s of samples) {
      expect(
        accepted(() => validateTagKey(s)),
        `tag key ${JSON.stringify(s)}`,
      ).toBe(tagKey.test(s));
      expect(
        accepted(() => validateAliasName(s, { forSet: false })),
        `alias ${JSON.stringify(s)}`,
      ).toBe(alias.test(s));
    }
  });
});
