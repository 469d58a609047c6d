// The public surface of the mreg library.
export { Registry } from './registry/registry.js';
export { initRegistry } from './registry/init.js';
export type { InitOptions } from './registry/init.js';
export type {
  RegistryOptions,
  SearchOptions,
  ResolvedUri,
  WriteInfo,
  Lineage,
  CommitSummary,
  HistoryQuery,
  HistoryEntry,
  CommitRef,
} from './registry/registry.js';
export { validateRegistry } from './registry/validate.js';
export type { ValidateOptions, ValidateResult } from './registry/validate.js';
export { diffRegistry } from './registry/diff.js';
export type { DiffOptions, DiffResult, Operation } from './registry/diff.js';
export { parseAt } from './domain/at.js';
export type { At, AtInput } from './domain/at.js';
export { RegistryError, ERROR_CODES, formatProblem } from './errors.js';
export type { ErrorCode, Problem } from './errors.js';
export { parseModelUri, formatModelUri } from './domain/uri.js';
export type { ModelUri } from './domain/uri.js';
export { encodeName, decodeName } from './domain/names.js';
export { STAGES } from './domain/stages.js';
export type { ModelFile, VersionFile, RegistryFile } from './schema/types.generated.js';
export type {
  MlflowModelVersion,
  MlflowRegisteredModel,
  MlflowSearchModelsResponse,
  MlflowSearchVersionsResponse,
} from './mlflow/types.js';
export { readEvents } from './events/read-events.js';
export type { ReadEventsOptions } from './events/read-events.js';
export { EVENT_TYPES } from './events/types.js';
export type { EventType, RegistryEvent } from './events/types.js';
