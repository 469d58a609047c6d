// MLflow's four stages. schemas/common.schema.json (`definitions.stage.enum`) is the source: `Stage` is never
// (and nothing compiles) when STAGES misses one of the generated VersionFile's stages, and an extra one is a
// compile error; test/unit/schema-constants.test.ts compares the list, order included.
import { RegistryError } from '../errors.js';
import type { VersionFile } from '../schema/types.generated.js';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;

/** `Listed` when it covers all of `Schema` (and, by the constraint, nothing else); never otherwise. */
type Exactly<Schema, Listed extends Schema> = [Schema] extends [Listed] ? Listed : never;
export type Stage = Exactly<VersionFile['stage'], (typeof STAGES)[number]>;
export const ACTIVE_STAGES: readonly Stage[] = ['Staging', 'Production'];

const BY_LOWER = new Map<string, Stage>(STAGES.map((s) => [s.toLowerCase(), s]));

/** Any case in, the canonical spelling out; undefined for an unknown stage. */
export function parseStage(input: string): Stage | undefined {
  return BY_LOWER.get(input.toLowerCase());
}

/** Canonical stage or MLflow's INVALID_PARAMETER_VALUE. */
export function canonicalStage(input: unknown): Stage {
  if (input === undefined || input === null || input === '') throw RegistryError.missing('stage');
  const s = typeof input === 'string' ? parseStage(input.trim()) : undefined;
  if (!s) {
    throw RegistryError.invalid(
      `Invalid Model Version stage: ${String(input)}. Value must be one of ${STAGES.join(', ')}.`,
      { stage: input },
    );
  }
  return s;
}
