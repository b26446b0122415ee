/** The JSON shapes of the daemon's /ui/api (packages/server/src/daemon/ui-api.ts, ui-models.ts, ui-metrics.ts). */
export interface ServiceRow {
  name: string;
  state: string;
  reason: string | null;
  model: string;
  tls: 'none' | 'self-signed' | 'custom';
  httpUrl: string | null;
  grpcAddress: string | null;
  scoringUri: string | null;
  httpPort: number | null;
  grpcPort: number | null;
  restarts: number;
  generation: number;
  updatedAt: string;
}

export interface VersionSummary {
  version: number;
  kind: 'service-definition' | 'onnx';
  size: number;
  sha256: string;
  createdAt: string;
  description: string | null;
  tags: Record<string, string>;
  deployedAs: string[];
}

export interface Overview {
  workspace: string;
  models: { name: string; versions: VersionSummary[] }[];
  services: ServiceRow[];
}

export interface StateChange {
  at: string;
  state: string;
  reason: string | null;
  generation: number;
}

export interface ServiceDetail {
  service: ServiceRow;
  spec: { workers?: number; scheduler?: Record<string, unknown> };
  caFile: string | null;
  history: StateChange[];
}

export interface Keys {
  primary: string;
  secondary: string;
}

export interface StageLatency {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface ServiceMetrics {
  bucketSeconds: number;
  points: { start: number; requests: number; errors: number; p50: number | null; p90: number | null; p99: number | null; meanBatchSize: number | null }[];
  summary: {
    stages: Record<string, StageLatency>;
    batchSizes: { le: number | null; count: number }[];
    meanBatchSize: number | null;
    requestsByCode: Record<string, number>;
  };
}

export interface Logs {
  lines: string[];
  errors: { time: string | null; level: number; msg: string; code: string | null }[];
}

export interface Classification {
  top: { index: number; label: string; score: number }[];
  latencyMs: number;
  serverTiming: Record<string, number>;
  requestId: string | null;
}

export interface TensorView {
  port: string;
  tensor: string;
  dtype: string | null;
  dims: number[] | null;
}

export interface StageView {
  name: string;
  kind: string;
  description: string | null;
  file: { path: string; size: number; sha256: string } | null;
  inputs: TensorView[];
  outputs: TensorView[];
  settings: Record<string, unknown>;
}

export interface ModelDetail extends VersionSummary {
  name: string;
  versions: number[];
  stages: StageView[];
  files: { path: string; size: number; sha256: string }[];
}
