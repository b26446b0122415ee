import {
  compileModelSources,
  compileSchedulerOptions,
  type ModelSources,
  type SchedulerConfig,
  type SchedulerOptions,
} from '@tachyon-serve/core';
import {
  compileModelControlOptions,
  validateVersionPolicy,
  type ModelControlConfig,
  type ModelControlOptions,
  type VersionPolicy,
} from '@tachyon-serve/core';
import {
  compileMetricsOptions,
  compileTracingOptions,
  type MetricsConfig,
  type MetricsOptions,
  type TracingConfig,
  type TracingOptions,
} from '../observability/observability-options.js';
import { toModelSource, type ModelSource } from '@tachyon-serve/core';
import type { ServeLogger } from './serve-logger.js';
import { compileHttpOptions, type LogLevel } from '../http/http-options.js';
import type { TlsFiles } from './tls-material.js';

export interface ServedModelOptions {
  /** The name clients use on every protocol (URL path, KServe model_name, TF-Serving model_spec.name). */
  name: string;
  /** Zoo id, `.onnx` file or service-definition `.zip` (see `toModelSource`), or a ModelSource. */
  source: string | ModelSource;
  /** Registry sources only: which versions to load. @default { latest: 1 } */
  versionPolicy?: VersionPolicy;
  /** Overrides the server-wide `scheduler` options for this model. @default {} */
  scheduler?: SchedulerOptions;
}

/** Options of `startServer`; `tachyon serve` maps its flags onto these one to one. */
export interface ServeOptions {
  /** What to load at startup; may be empty when `workspace` is set and model control is enabled. */
  models: readonly ServedModelOptions[];
  /** Address to listen on; anything but loopback needs TLS and keys (or `insecure`). @default '127.0.0.1' */
  host?: string;
  /** HTTP port; 0 picks a free one (read it back from `httpUrl`). @default 8000 */
  httpPort?: number;
  /** gRPC port; 0 picks a free one. @default 8001 */
  grpcPort?: number;
  /** JSON `{"primary": "...", "secondary": "..."}`, re-read on `reload()` (SIGHUP). @default undefined: generated keys */
  keysFile?: string;
  /** PEM certificate chain and key for HTTPS and gRPC TLS, re-read on `reload()`. @default undefined: plaintext */
  tls?: TlsFiles;
  /** Accept requests without a key; loopback only. @default false */
  noAuth?: boolean;
  /** Allow plaintext on a non-loopback address (logs a warning). Keys are still required. @default false */
  insecure?: boolean;
  /** Inference worker threads. @default 1 */
  workers?: number;
  /** Images per request. @default 64 */
  maxImages?: number;
  /** Request body bytes (HTTP) and message bytes (gRPC). @default 20971520 (20 MiB) */
  bodyLimit?: number;
  /** Origins allowed by CORS; none means CORS stays off. @default [] */
  cors?: readonly string[];
  /** Open HTTP connections; more are refused at accept. @default 1024 */
  maxConnections?: number;
  /** How long a drain waits for in-flight requests before closing their connections. @default 30000 */
  drainTimeoutMs?: number;
  /** Where zoo models come from. @default compileModelSources() (environment, then built-in) */
  sources?: ModelSources;
  /** Dynamic batching, queue bound and concurrency for every model (a model entry may override). @default {} */
  scheduler?: SchedulerOptions;
  /** Prometheus `/metrics` and the rolling history. @default { enabled: true } */
  metrics?: MetricsOptions;
  /** OpenTelemetry spans over OTLP/HTTP. @default {} (off) */
  tracing?: TracingOptions;
  /** Load/unload models on the running server. @default {} */
  modelControl?: ModelControlOptions;
  /** Workspace folder (or its tachyon.json) whose registry `registry:NAME` sources and repository loads read. @default undefined */
  workspace?: string;
  /** @default JSON lines on stderr */
  logger?: ServeLogger;
  /** Lowest level logged; `debug` adds one line per request (HTTP and gRPC). @default 'info' */
  logLevel?: LogLevel;
}

export interface ServeConfig {
  readonly models: readonly ServedModelConfig[];
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly keysFile: string | undefined;
  readonly tls: Readonly<TlsFiles> | undefined;
  readonly noAuth: boolean;
  readonly insecure: boolean;
  readonly workers: number;
  readonly maxImages: number;
  readonly bodyLimit: number;
  readonly cors: readonly string[];
  readonly maxConnections: number;
  readonly drainTimeoutMs: number;
  readonly sources: ModelSources;
  readonly scheduler: SchedulerConfig;
  readonly metrics: MetricsConfig;
  readonly tracing: TracingConfig;
  readonly modelControl: ModelControlConfig;
  readonly workspace: string | undefined;
  readonly logLevel: LogLevel;
}

export interface ServedModelConfig {
  readonly name: string;
  readonly source: ModelSource;
  readonly versionPolicy: VersionPolicy | undefined;
  /** The server-wide scheduler options with this model's overrides applied. */
  readonly scheduler: SchedulerConfig;
}

export const SERVE_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  httpPort: 8000,
  grpcPort: 8001,
  workers: 1,
  maxImages: 64,
  bodyLimit: 20 * 1024 * 1024,
  maxConnections: 1024,
  drainTimeoutMs: 30_000,
});

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Checks every option (misuse -> TypeError/RangeError naming it) and freezes the result. */
export function compileServeOptions(options: ServeOptions): ServeConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object.');
  // With model control and a workspace a server may start empty: models are loaded later through /v2/repository.
  const mayStartEmpty = options.workspace !== undefined && options.modelControl?.enabled !== false;
  if (!Array.isArray(options.models) || (options.models.length === 0 && !mayStartEmpty)) {
    throw new TypeError(
      'models: expected at least one { name, source } (none is allowed only with a workspace and model control enabled).',
    );
  }
  const seen = new Set<string>();
  const models = options.models.map((m, i) => {
    if (typeof m?.name !== 'string' || !MODEL_NAME.test(m.name)) {
      throw new TypeError(
        `models[${i}].name: expected [A-Za-z0-9][A-Za-z0-9._-]* (at most 128 characters), got "${String(m?.name)}".`,
      );
    }
    if (seen.has(m.name)) throw new TypeError(`models[${i}].name: "${m.name}" is used twice.`);
    seen.add(m.name);
    if (typeof m.source !== 'string' && (typeof m.source !== 'object' || m.source === null))
      throw new TypeError(`models[${i}].source: expected a string or a ModelSource.`);
    return Object.freeze({
      name: m.name,
      source: Object.freeze(typeof m.source === 'string' ? toModelSource(m.source) : { ...m.source }),
      versionPolicy:
        m.versionPolicy === undefined
          ? undefined
          : validateVersionPolicy(m.versionPolicy, `models[${i}].versionPolicy`),
      scheduler: compileSchedulerOptions({
        concurrency: options.workers ?? SERVE_DEFAULTS.workers,
        ...options.scheduler,
        ...m.scheduler,
      }),
    });
  });
  const host = options.host ?? SERVE_DEFAULTS.host;
  if (typeof host !== 'string' || host.trim() === '') throw new TypeError('host: expected a non-empty string.');
  const int = (
    name: keyof typeof SERVE_DEFAULTS & keyof ServeOptions,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number => {
    const value = options[name] ?? SERVE_DEFAULTS[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`${name}: expected an integer in [${min}, ${max}], got ${String(value)}.`);
    }
    return value;
  };
  const file = (name: string, value: unknown): string | undefined => {
    if (value !== undefined && (typeof value !== 'string' || value === ''))
      throw new TypeError(`${name}: expected a file path.`);
    return value as string | undefined;
  };
  if (options.tls !== undefined && (typeof options.tls !== 'object' || options.tls === null))
    throw new TypeError('tls: expected { certFile, keyFile }.');
  const tls =
    options.tls &&
    Object.freeze({
      certFile: file('tls.certFile', options.tls.certFile)!,
      keyFile: file('tls.keyFile', options.tls.keyFile)!,
    });
  if (tls && (tls.certFile === undefined || tls.keyFile === undefined))
    throw new TypeError('tls: both certFile and keyFile are needed.');
  const keysFile = file('keysFile', options.keysFile);
  if (options.noAuth === true && keysFile !== undefined)
    throw new TypeError('noAuth: cannot be combined with keysFile.');
  const cors = options.cors ?? [];
  if (!Array.isArray(cors) || !cors.every((o) => typeof o === 'string' && o !== ''))
    throw new TypeError('cors: expected an array of origins.');
  const httpPort = int('httpPort', 0, 65535);
  const grpcPort = int('grpcPort', 0, 65535);
  if (httpPort !== 0 && httpPort === grpcPort)
    throw new RangeError(`grpcPort: must differ from httpPort (${httpPort}).`);
  return Object.freeze({
    models: Object.freeze(models),
    host: host.trim(),
    httpPort,
    grpcPort,
    keysFile,
    tls,
    noAuth: options.noAuth === true,
    insecure: options.insecure === true,
    workers: int('workers', 1, 256),
    maxImages: int('maxImages', 1),
    bodyLimit: int('bodyLimit', 1024),
    cors: Object.freeze([...cors]),
    maxConnections: int('maxConnections', 1),
    drainTimeoutMs: int('drainTimeoutMs', 0),
    sources: options.sources ?? compileModelSources(),
    scheduler: compileSchedulerOptions({
      concurrency: options.workers ?? SERVE_DEFAULTS.workers,
      ...options.scheduler,
    }),
    metrics: compileMetricsOptions(options.metrics),
    tracing: compileTracingOptions(options.tracing),
    modelControl: compileModelControlOptions(options.modelControl),
    workspace: file('workspace', options.workspace),
    logLevel: compileHttpOptions({
      auth: 'none',
      ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
    }).logLevel,
  });
}
