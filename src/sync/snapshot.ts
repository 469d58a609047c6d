// What an MLflow server's registry holds at one moment, as `mreg import` reads it: every registered model
// with its live versions, in MLflow's wire form.
import type { MlflowModelVersion, MlflowRegisteredModel } from '../mlflow/types.js';

export type SnapshotVersion = MlflowModelVersion & { user_id?: string };

export interface SnapshotModel {
  model: MlflowRegisteredModel;
  /** Version number → version, deleted versions absent (MLflow does not show them). */
  versions: Map<number, SnapshotVersion>;
  /** Download URIs that differ from the source (versions copied with a `models:/` source). */
  storage: Map<number, string>;
}

export interface MlflowSnapshot {
  /** The server as messages name it. */
  server: string;
  /** Model name → model. */
  models: Map<string, SnapshotModel>;
}
