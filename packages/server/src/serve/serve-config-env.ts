import { delimiter, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { findServeConfigIssues, type ServeFileOptions } from './serve-config-file.js';

type EnvKind = 'string' | 'path' | 'integer' | 'number' | 'boolean' | 'list';

/** One `TACHYON_SERVE_*` variable: the option it sets (a path into ServeFileOptions) and how its text is read. */
export interface ServeEnvVar {
  readonly variable: string;
  readonly option: readonly string[];
  readonly kind: EnvKind;
}

const v = (variable: string, option: string, kind: EnvKind): ServeEnvVar =>
  Object.freeze({ variable, option: Object.freeze(option.split('.')), kind });

/** The scalar options the environment can set (docs/serve-config.md lists them). */
export const SERVE_ENV_VARS: readonly ServeEnvVar[] = Object.freeze([
  v('TACHYON_SERVE_HOST', 'host', 'string'),
  v('TACHYON_SERVE_HTTP_PORT', 'httpPort', 'integer'),
  v('TACHYON_SERVE_GRPC_PORT', 'grpcPort', 'integer'),
  v('TACHYON_SERVE_KEYS_FILE', 'keysFile', 'path'),
  v('TACHYON_SERVE_TLS_CERT_FILE', 'tls.certFile', 'path'),
  v('TACHYON_SERVE_TLS_KEY_FILE', 'tls.keyFile', 'path'),
  v('TACHYON_SERVE_NO_AUTH', 'noAuth', 'boolean'),
  v('TACHYON_SERVE_INSECURE', 'insecure', 'boolean'),
  v('TACHYON_SERVE_WORKERS', 'workers', 'integer'),
  v('TACHYON_SERVE_MAX_IMAGES', 'maxImages', 'integer'),
  v('TACHYON_SERVE_BODY_LIMIT', 'bodyLimit', 'integer'),
  v('TACHYON_SERVE_CORS', 'cors', 'list'),
  v('TACHYON_SERVE_MAX_CONNECTIONS', 'maxConnections', 'integer'),
  v('TACHYON_SERVE_DRAIN_TIMEOUT_MS', 'drainTimeoutMs', 'integer'),
  v('TACHYON_SERVE_BATCHING', 'scheduler.batching', 'boolean'),
  v('TACHYON_SERVE_MAX_BATCH_SIZE', 'scheduler.maxBatchSize', 'integer'),
  v('TACHYON_SERVE_MAX_QUEUE_DELAY_MS', 'scheduler.maxQueueDelayMs', 'number'),
  v('TACHYON_SERVE_MAX_QUEUE_SIZE', 'scheduler.maxQueueSize', 'integer'),
  v('TACHYON_SERVE_CONCURRENCY', 'scheduler.concurrency', 'integer'),
  v('TACHYON_SERVE_METRICS', 'metrics.enabled', 'boolean'),
  v('TACHYON_SERVE_OTLP_ENDPOINT', 'tracing.otlpEndpoint', 'string'),
  v('TACHYON_SERVE_TRACING_SERVICE_NAME', 'tracing.serviceName', 'string'),
  v('TACHYON_SERVE_TRACING_SAMPLE_RATIO', 'tracing.sampleRatio', 'number'),
  v('TACHYON_SERVE_MODEL_CONTROL', 'modelControl.enabled', 'boolean'),
  v('TACHYON_SERVE_MODEL_LOAD_TIMEOUT_MS', 'modelControl.loadTimeoutMs', 'integer'),
  v('TACHYON_SERVE_MEMORY_BUDGET_BYTES', 'modelControl.memoryBudgetBytes', 'integer'),
  v('TACHYON_SERVE_MAX_LOADED_VERSIONS', 'modelControl.maxLoadedVersions', 'integer'),
  v('TACHYON_SERVE_WORKSPACE', 'workspace', 'path'),
  v('TACHYON_SERVE_LOG_LEVEL', 'logLevel', 'string'),
]);

/** The config file to read when `--config` is not given. */
export const SERVE_CONFIG_ENV_VAR = 'TACHYON_SERVE_CONFIG';
/** Mirror folders, `:`-separated (`;` on Windows): the environment layer's `modelPath`. */
export const MODEL_PATH_ENV_VAR = 'TACHYON_MODEL_PATH';

export interface ServeEnvironment {
  /** The environment layer: only the options a variable sets. */
  readonly options: ServeFileOptions;
  /** TACHYON_SERVE_CONFIG, resolved against `cwd`. */
  readonly configFile: string | undefined;
}

export interface ServeEnvIssue {
  readonly variable: string;
  readonly message: string;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * Reads TACHYON_SERVE_* (table SERVE_ENV_VARS), TACHYON_SERVE_CONFIG and TACHYON_MODEL_PATH. An empty variable counts
 * as unset; relative paths resolve against `cwd`. Every problem (unparsable value, out of range, unknown
 * TACHYON_SERVE_* name) comes in ONE TachyonError TCH_ERR_CONFIG_INVALID naming the variables.
 */
export function readServeEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): ServeEnvironment {
  const issues: ServeEnvIssue[] = [];
  const options: Record<string, unknown> = {};
  const known = new Set([...SERVE_ENV_VARS.map((e) => e.variable), SERVE_CONFIG_ENV_VAR]);
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('TACHYON_SERVE_') && !known.has(name) && env[name] !== '') {
      const near = [...known].find((k) => k.replace(/_/g, '') === name.replace(/_/g, ''));
      issues.push({ variable: name, message: `is not a known variable${near ? ` (did you mean ${near}?)` : ''}` });
    }
  }
  for (const entry of SERVE_ENV_VARS) {
    const raw = env[entry.variable];
    if (raw === undefined || raw === '') continue;
    const parsed = parseValue(raw, entry.kind, cwd);
    if (parsed.error) issues.push({ variable: entry.variable, message: `${parsed.error}, got "${raw}"` });
    else setPath(options, entry.option, parsed.value);
  }
  // Range and enum checks are the file's schema, mapped back onto variable names.
  for (const issue of findServeConfigIssues(options)) {
    const entry = SERVE_ENV_VARS.find((e) => `/${e.option.join('/')}` === issue.pointer);
    const variable = entry?.variable ?? issue.pointer;
    const raw = entry && env[entry.variable];
    // A missing member of a pair (the TLS files) is reported on the variable that is missing.
    const message = raw
      ? `${issue.message}, got "${raw}"`
      : issue.message === 'is required'
        ? 'must be set too: the pair goes together'
        : issue.message;
    if (!issues.some((i) => i.variable === variable)) issues.push({ variable, message });
  }
  const modelPath = env[MODEL_PATH_ENV_VAR]?.split(delimiter).filter((p) => p !== '');
  if (modelPath !== undefined && modelPath.length > 0) options['modelPath'] = modelPath.map((p) => resolve(cwd, p));
  if (issues.length > 0) {
    const shown = issues.map((i) => `${i.variable} ${i.message}`).join('; ');
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `The environment has ${issues.length === 1 ? '1 invalid variable' : `${issues.length} invalid variables`}: ${shown}.`,
      {
        details: { issues },
      },
    );
  }
  const configFile = env[SERVE_CONFIG_ENV_VAR];
  return Object.freeze({
    options: options as ServeFileOptions,
    configFile: configFile === undefined || configFile === '' ? undefined : resolve(cwd, configFile),
  });
}

function parseValue(raw: string, kind: EnvKind, cwd: string): { value?: unknown; error?: string } {
  const text = raw.trim();
  switch (kind) {
    case 'string':
      return { value: text };
    case 'path':
      return { value: resolve(cwd, text) };
    case 'integer':
      return /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text))
        ? { value: Number(text) }
        : { error: 'must be an integer' };
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? { value: Number(text) } : { error: 'must be a number' };
    case 'boolean':
      if (TRUE.has(text.toLowerCase())) return { value: true };
      if (FALSE.has(text.toLowerCase())) return { value: false };
      return { error: 'must be true or false (also 1/0, yes/no, on/off)' };
    case 'list':
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      };
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1]!] = value;
}
