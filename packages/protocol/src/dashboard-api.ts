/**
 * The JSON bodies of the deployment daemon's dashboard API (`/ui/api/...`, behind the workspace admin key): written by
 * packages/server/src/daemon/ui-*.ts and read by the dashboard UI (packages/dashboard/ui). Types only, no runtime
 * code, so the browser bundle imports them with `import type` and bundles nothing.
 *
 *   GET  /ui/api/session                                 -> { workspace, version }
 *   GET  /ui/api/overview                                -> UiOverview
 *   GET  /ui/api/services/:name                          -> UiServiceDetail
 *   GET  /ui/api/services/:name/keys                     -> ServiceKeysBody
 *   POST /ui/api/services/:name/keys/regenerate          -> ServiceKeysBody
 *   GET  /ui/api/services/:name/logs?tail=N              -> UiLogs
 *   GET  /ui/api/services/:name/metrics                  -> UiServiceMetrics
 *   POST /ui/api/services/:name/classify?top=K (image)   -> UiClassification
 *   GET  /ui/api/models/:name/versions/:version          -> UiModelDetail
 */
import type { ServiceSpec } from './deployments.js';

/** A row of the overview's services table. */
export interface UiServiceRow {
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

/** One registered version of a model. */
export interface UiVersionSummary {
  version: number;
  kind: 'service-definition' | 'onnx';
  size: number;
  sha256: string;
  createdAt: string;
  description: string | null;
  tags: Readonly<Record<string, string>>;
  /** Services deployed from this version. */
  deployedAs: string[];
}

export interface UiModelSummary {
  name: string;
  versions: UiVersionSummary[];
}

export interface UiOverview {
  workspace: string;
  models: UiModelSummary[];
  services: UiServiceRow[];
}

/** One recorded state of a service (the dashboard's state history). */
export interface UiStateChange {
  /** ISO 8601, UTC. */
  readonly at: string;
  readonly state: string;
  readonly reason: string | null;
  readonly generation: number;
}

export interface UiServiceDetail {
  service: UiServiceRow;
  spec: ServiceSpec;
  caFile: string | null;
  history: readonly UiStateChange[];
}

/** A stage's latency since the service process started (quantiles estimated from the histogram buckets). */
export interface UiStageLatency {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

export interface UiMetricsSummary {
  /** `queue`, `preprocess`, `compute`, `postprocess`, `total`: successful requests of the model, every protocol. */
  stages: Record<string, UiStageLatency>;
  /**
   * Session calls by batch size: `le` is the bucket's upper bound (1, 2, 4, ...), `count` the calls in that bucket
   * only. The last bucket's bound is Infinity on the server, `null` on the wire (JSON has no Infinity).
   */
  batchSizes: { le: number | null; count: number }[];
  meanBatchSize: number | null;
  /** Requests by result code (`OK` or a `TCH_ERR_*` code), every protocol. */
  requestsByCode: Record<string, number>;
}

/** One time bucket of the service's traffic history. */
export interface UiHistoryPoint {
  start: number;
  requests: number;
  errors: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  meanBatchSize: number | null;
}

export interface UiServiceMetrics {
  bucketSeconds: number;
  /** Oldest first; buckets without traffic are absent (as in the service's own history). */
  points: UiHistoryPoint[];
  summary: UiMetricsSummary;
}

/** A log line at warn (40) or above. */
export interface UiLogError {
  time: string | null;
  level: number;
  msg: string;
  code: string | null;
}

export interface UiLogs {
  lines: string[];
  /** Newest last. */
  errors: UiLogError[];
}

export interface UiClassification {
  top: { index: number; label: string; score: number }[];
  latencyMs: number;
  serverTiming: Record<string, number>;
  requestId: string | null;
}

export interface UiTensorView {
  /** Stage port (the model's own tensor name for ONNX stages). */
  port: string;
  /** Pipeline tensor it is mapped to. */
  tensor: string;
  dtype: string | null;
  /** -1 for a dynamic dimension; null when the manifest and model do not say. */
  dims: readonly number[] | null;
}

export interface UiStageView {
  name: string;
  kind: string;
  description: string | null;
  /** The file the stage runs, with its size and sha256 from the manifest. */
  file: { path: string; size: number; sha256: string } | null;
  inputs: UiTensorView[];
  outputs: UiTensorView[];
  /** Kind-specific facts: preprocess options, zoo model, topK, labels file... */
  settings: Record<string, unknown>;
}

export interface UiModelDetail extends UiVersionSummary {
  name: string;
  /** Every version of the model (the page's version picker). */
  versions: number[];
  /** The service-definition's stages in order; a bare ONNX model is one `onnx` stage. */
  stages: UiStageView[];
  files: { path: string; size: number; sha256: string }[];
}
