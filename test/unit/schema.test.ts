import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SCHEMA_DIR, validateDocument } from '../../src/schema/validate.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const VERSION = {
  version: 1,
  source: 's3://b/1',
  stage: 'None',
  status: 'READY',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('schemas', () => {
  it('types.generated.ts is up to date with schemas/ (run `npm run gen-types`)', async () => {
    const { generateTypes } = (await import(path.join(ROOT, 'scripts/gen-types.mjs'))) as {
      generateTypes(): Promise<string>;
    };
    expect(await generateTypes()).toBe(await readFile(path.join(ROOT, 'src/schema/types.generated.ts'), 'utf8'));
  });

  it('validators.generated.cjs is up to date with schemas/ (run `npm run gen-types`)', async () => {
    const { generateValidators } = (await import(path.join(ROOT, 'scripts/gen-validators.mjs'))) as {
      generateValidators(): Promise<string>;
    };
    expect(await generateValidators()).toBe(
      await readFile(path.join(ROOT, 'schemas/validators.generated.cjs'), 'utf8'),
    );
  });

  it('every schema example validates', async () => {
    for (const file of (await readdir(SCHEMA_DIR)).filter((f) => f.endsWith('.schema.json'))) {
      const schema = JSON.parse(await readFile(path.join(SCHEMA_DIR, file), 'utf8'));
      const kind = file.replace('.schema.json', '');
      if (kind === 'common') continue;
      for (const example of schema.examples ?? []) expect(validateDocument(kind as 'model', example)).toEqual([]);
    }
  });

  it.each([
    ['stage', 'Prod', /must be one of/],
    ['version', 0, /must be >= 1/],
    ['version', '1', /must be integer/],
    ['created_at', '2026-01-01', /must match pattern/],
    ['source', '', /must NOT have fewer than 1 characters/],
    ['digest', 'sha256:xyz', /must match pattern/],
    ['extra', 1, /unknown key 'extra'/],
    ['tags', { 'bad#key': 'v' }, /invalid key 'bad#key'/],
    ['tags', { k: 1 }, /must be string/],
  ])('a version with %s = %j is rejected', (key, value, message) => {
    const problems = validateDocument('model-version', { ...VERSION, [key]: value });
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
  });
});
