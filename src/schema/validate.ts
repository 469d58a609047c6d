// Validation against schemas/*.json; the only way a parsed document becomes typed.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { AliasFile, ModelFile, RegistryFile, TombstoneFile, VersionFile } from './types.generated.js';

const require = createRequire(import.meta.url);

export const SCHEMA_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export type SchemaName = 'registry' | 'model' | 'model-version' | 'alias' | 'tombstone';

const SCHEMA_FILES: Record<SchemaName, string> = {
  registry: 'registry.schema.json',
  model: 'model.schema.json',
  'model-version': 'model-version.schema.json',
  alias: 'alias.schema.json',
  tombstone: 'tombstone.schema.json',
};

function loadSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_DIR + file, 'utf8')) as Record<string, unknown>;
}

type Validators = {
  registry: ValidateFunction<RegistryFile>;
  model: ValidateFunction<ModelFile>;
  'model-version': ValidateFunction<VersionFile>;
  alias: ValidateFunction<AliasFile>;
  tombstone: ValidateFunction<TombstoneFile>;
};
let compiled: Validators | undefined;

/**
 * The validators, precompiled from the schemas at build time (schemas/validators.generated.cjs, kept in step
 * by a test) so that a CLI process skips Ajv's compilation; compiled here when that file is absent.
 */
function validators(): Validators {
  if (!compiled) {
    try {
      compiled = require(SCHEMA_DIR + 'validators.generated.cjs') as Validators;
    } catch {
      // ajv is CommonJS; loaded only when the precompiled validators are missing (it costs ~20 ms to load).
      const Ajv = require('ajv') as typeof import('ajv').default;
      const ajv = new Ajv({ allErrors: true, strict: true, unicodeRegExp: true, allowUnionTypes: true });
      ajv.addSchema(loadSchema('common.schema.json'));
      compiled = {
        registry: ajv.compile<RegistryFile>(loadSchema('registry.schema.json')),
        model: ajv.compile<ModelFile>(loadSchema('model.schema.json')),
        'model-version': ajv.compile<VersionFile>(loadSchema('model-version.schema.json')),
        alias: ajv.compile<AliasFile>(loadSchema('alias.schema.json')),
        tombstone: ajv.compile<TombstoneFile>(loadSchema('tombstone.schema.json')),
      };
    }
  }
  return compiled;
}

export interface SchemaViolation {
  /** JSON pointer into the document, e.g. `/tags/bad key`. */
  instancePath: string;
  message: string;
}

/** A key or path as a message shows it: a hostile file's megabyte-long key is clipped, not repeated. */
function shown(s: string, max = 120): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function describe(e: ErrorObject): SchemaViolation {
  const where = shown(e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      return {
        instancePath: `${e.instancePath}/${key}`,
        message: `unknown key '${shown(key)}'${where ? ` in ${where}` : ''}`,
      };
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      return { instancePath: e.instancePath, message: `missing required key '${key}'${where ? ` in ${where}` : ''}` };
    }
    case 'enum':
      return {
        instancePath: e.instancePath,
        message: `${where || 'value'} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ')}`,
      };
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      return {
        instancePath: `${e.instancePath}/${name}`,
        message: `invalid key '${shown(name)}' in ${where || 'document'}`,
      };
    }
    default:
      return { instancePath: e.instancePath, message: `${where || 'document'} ${e.message ?? 'is invalid'}` };
  }
}

function check<T>(fn: ValidateFunction<T>, doc: unknown): SchemaViolation[] {
  if (fn(doc)) return [];
  const out: SchemaViolation[] = [];
  const seen = new Set<string>();
  for (const e of fn.errors ?? []) {
    // propertyNames failures repeat once per failing sub-keyword; keep one line per key.
    if (e.keyword !== 'propertyNames' && e.propertyName !== undefined) continue;
    const v = describe(e);
    const k = v.instancePath + '\0' + v.message;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

export function validateDocument(kind: SchemaName, doc: unknown): SchemaViolation[] {
  return check(validators()[kind] as ValidateFunction<unknown>, doc);
}

/** Canonical key order of each document kind: the order of the schema's `properties`. */
export function keyOrder(kind: SchemaName): string[] {
  return Object.keys((loadSchema(SCHEMA_FILES[kind]) as { properties: Record<string, unknown> }).properties);
}
