// MLflow's REST JSON shapes (snake_case, int64 as numbers, version as a string, empty lists omitted).
export interface MlflowTag {
  key: string;
  value: string;
}
export interface MlflowAlias {
  alias: string;
  version: string;
}
export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description: string;
  source: string;
  run_id: string;
  status: string;
  status_message?: string;
  tags?: MlflowTag[];
  run_link: string;
  aliases?: string[];
}
export interface MlflowRegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp?: number;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  tags?: MlflowTag[];
  aliases?: MlflowAlias[];
}
export interface MlflowSearchModelsResponse {
  registered_models?: MlflowRegisteredModel[];
  next_page_token?: string;
}
export interface MlflowSearchVersionsResponse {
  model_versions?: MlflowModelVersion[];
  next_page_token?: string;
}
