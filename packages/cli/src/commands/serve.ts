import { basename, extname } from 'node:path';
import { TachyonError } from '@tachyon/protocol';
import { createCliContext } from '../context.js';
import type { GlobalOptions } from '../main.js';
import { printJson } from '../output.js';

/** Flags of `tachyon serve`, as commander parses them (numbers still strings). */
export interface ServeCliOptions {
  model?: string[];
  name?: string;
  host?: string;
  httpPort?: string;
  grpcPort?: string;
  keys?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** commander's `--no-auth` sets `auth: false`. */
  auth?: boolean;
  insecure?: boolean;
  workers?: string;
  maxImages?: string;
  bodyLimit?: string;
  maxConnections?: string;
  drainTimeout?: string;
  cors?: string[];
}

/**
 * `tachyon serve`: loads the models, listens on HTTP and gRPC, prints ONE JSON line on stdout once ready
 * (`{"http", "grpc", "models", "keys"?}`, keys only when generated: the one time they are shown), logs JSON lines on
 * stderr, and runs until SIGTERM/SIGINT, which drain in-flight requests; SIGHUP reloads the TLS pair and keys file.
 */
export async function runServe(options: ServeCliOptions, globals: GlobalOptions): Promise<void> {
  const { workspace, sources } = await createCliContext(globals);
  const { startServer, handleProcessSignals, createServeLogger } = await import('@tachyon/server');
  const defaults = workspace.server;
  const models = parseModels(options.model ?? [workspace.defaultModel], options.name);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new TypeError('--tls-cert and --tls-key go together.');
  }
  const logger = createServeLogger();
  // SIGHUP's default action ends the process: ignore it while the models load (the files are read at startup anyway).
  const hupDuringStartup = () => logger.warn('SIGHUP during startup ignored: send it again once the server is ready');
  process.on('SIGHUP', hupDuringStartup);
  const server = await startServer({
    models,
    host: options.host ?? str(defaults, 'host'),
    httpPort: int('--http-port', options.httpPort) ?? num(defaults, 'httpPort'),
    grpcPort: int('--grpc-port', options.grpcPort) ?? num(defaults, 'grpcPort'),
    keysFile: options.keys,
    tls: options.tlsCert === undefined ? undefined : { certFile: options.tlsCert, keyFile: options.tlsKey! },
    noAuth: options.auth === false,
    insecure: options.insecure === true,
    workers: int('--workers', options.workers) ?? num(defaults, 'workers'),
    maxImages: int('--max-images', options.maxImages) ?? num(defaults, 'maxImages'),
    bodyLimit: int('--body-limit', options.bodyLimit) ?? num(defaults, 'bodyLimit'),
    maxConnections: int('--max-connections', options.maxConnections) ?? num(defaults, 'maxConnections'),
    drainTimeoutMs: int('--drain-timeout', options.drainTimeout) ?? num(defaults, 'drainTimeoutMs'),
    cors: options.cors,
    sources,
    logger,
  }).finally(() => process.off('SIGHUP', hupDuringStartup));
  const signals = handleProcessSignals(server, logger);
  printJson({
    http: server.httpUrl,
    grpc: server.grpcAddress,
    models: server.models,
    ...(server.keysGenerated && server.keys ? { keys: { primary: server.keys.primary, secondary: server.keys.secondary } } : {}),
  });
  await signals.closed;
  logger.info('stopped');
  // Whatever handle a dependency leaves open, a drained server process must not linger.
  setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 2000).unref();
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `--model REF` (repeatable) with `--name NAME` for a single model, or `--model NAME=REF` for several. Without a
 * name, a zoo id serves under its id and a file under its base name (`model_def.zip` -> `model_def`).
 */
export function parseModels(refs: readonly string[], name: string | undefined): { name: string; source: string }[] {
  if (name !== undefined && refs.length !== 1) throw new TypeError('--name names a single --model; for several use --model NAME=REF.');
  const models = refs.map((ref) => {
    const eq = ref.indexOf('=');
    if (eq > 0 && MODEL_NAME.test(ref.slice(0, eq))) return { name: ref.slice(0, eq), source: ref.slice(eq + 1) };
    return { name: name ?? defaultName(ref), source: ref };
  });
  for (const m of models) {
    if (!MODEL_NAME.test(m.name)) throw new TypeError(`--name: "${m.name}" is not a valid model name ([A-Za-z0-9][A-Za-z0-9._-]*).`);
    if (m.source === '') throw new TypeError(`--model: "${m.name}=" names no model.`);
  }
  return models;
}

function defaultName(ref: string): string {
  const base = basename(ref, extname(ref) === '.onnx' || extname(ref) === '.zip' ? extname(ref) : '');
  return base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model';
}

function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new RangeError(`${flag}: expected a non-negative integer, got "${value}".`);
  return n;
}

function str(server: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = server[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw configError(key, 'a non-empty string');
  return value;
}

function num(server: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = server[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw configError(key, 'a non-negative integer');
  return value;
}

function configError(key: string, expected: string): TachyonError {
  return new TachyonError('TCH_ERR_CONFIG_INVALID', `tachyon.json "server.${key}" must be ${expected}.`, { details: { key } });
}
