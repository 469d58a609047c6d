import { RegistryError } from '../errors.js';

export const STAGES = ['None', 'Staging', 'Production', 'Archived'] as const;
export type Stage = (typeof STAGES)[number];
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
