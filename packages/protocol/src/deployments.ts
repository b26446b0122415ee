/**
 * The deployment daemon's wire contract (see docs/deployments.md): what the SDK and CLI send to the workspace's
 * daemon and what it answers. The daemon listens on 127.0.0.1 only; every call carries `Authorization: Bearer
 * <token>` (the token file is in the workspace, mode 0600). Errors are the usual `{ error, code, details? }` body.
 *
 *   GET    /v1/health                          -> DaemonHealth
 *   GET    /v1/services                        -> { services: ServiceStatus[] }
 *   GET    /v1/services/:name                  -> ServiceStatus            (404 TCH_ERR_SERVICE_NOT_FOUND)
 *   PUT    /v1/services/:name   DeployRequest  -> DeployResponse           (idempotent: same spec -> changed false)
 *   DELETE /v1/services/:name                  -> { deleted: string[] }    (drains, removes process, files, row)
 *   GET    /v1/services/:name/logs?tail=N      -> { lines: string[] }
 *   GET    /v1/services/:name/keys             -> ServiceKeysBody
 *   POST   /v1/services/:name/keys/regenerate  { key: 'primary'|'secondary' } -> ServiceKeysBody
 *   POST   /v1/shutdown                        -> {}  (stops the daemon and its service processes; desired state stays)
 */

/** The original's state names. */
export type ServiceState = 'Transitioning' | 'Healthy' | 'Unhealthy' | 'Failed' | 'Deleting';
export const SERVICE_STATES: readonly ServiceState[] = Object.freeze([
  'Transitioning',
  'Healthy',
  'Unhealthy',
  'Failed',
  'Deleting',
]);

/** A registered model version the service serves. */
export interface ModelVersionRef {
  name: string;
  version: number;
}

/** How a web service is deployed locally: the desired state the daemon makes true. */
export interface ServiceSpec {
  /** The registered model (a service definition or ONNX file) served under the service's name. */
  model: ModelVersionRef;
  /** Optional canary: this version takes `percent` of the requests that name no version. @default none */
  canary?: { model: ModelVersionRef; percent: number };
  /** Backend worker threads (session copies) of the service process. @default 1 */
  workers?: number;
  /** Scheduler options (packages/core SchedulerOptions): batching, maxBatchSize, maxQueueSize... @default {} */
  scheduler?: Record<string, unknown>;
  /** 'self-signed': the daemon makes a certificate for localhost/127.0.0.1 (its file is the CA to trust). @default 'none' */
  tls?: 'none' | 'self-signed' | { certFile: string; keyFile: string };
  /** Fixed ports; 0 (default) lets the daemon pick free ones. */
  httpPort?: number;
  grpcPort?: number;
}

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** Why it is not Healthy (last error, exit code...). */
  reason?: string;
  spec: ServiceSpec;
  /** Increments on every spec change. */
  generation: number;
  /** Raw-image scoring URL: `<httpUrl>/v1/services/<name>/classify`; undefined until the process listens. */
  scoringUri?: string;
  httpUrl?: string;
  grpcAddress?: string;
  /** PEM file to trust for TLS ('self-signed'), absent for plaintext. */
  caFile?: string;
  pid?: number;
  restarts: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeployRequest {
  spec: ServiceSpec;
}

export interface DeployResponse {
  status: ServiceStatus;
  /** false when the service already ran this exact spec (nothing restarted or reloaded). */
  changed: boolean;
}

export interface ServiceKeysBody {
  primary: string;
  secondary: string;
}

export interface DaemonHealth {
  ok: true;
  pid: number;
  workspace: string;
  version: string;
}

/**
 * How a client finds a workspace's daemon: `<workspace>/.tachyon/daemon.json` (a DaemonInfo) says where it listens,
 * `<workspace>/.tachyon/daemon.token` (mode 0600) holds the bearer token its API wants.
 */
export const DAEMON_DIR = '.tachyon';
export const DAEMON_INFO_FILE = 'daemon.json';
export const DAEMON_TOKEN_FILE = 'daemon.token';

/** `daemon.json`: where a workspace's running daemon listens (the token is in its own 0600 file). */
export interface DaemonInfo {
  pid: number;
  url: string;
  startedAt: string;
  version: string;
}
