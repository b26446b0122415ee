import { GRPC_STATUS_BY_KIND } from '@tachyon-serve/protocol';
import type { GrpcCallLog } from '../grpc/grpc-call.js';
import type { LogLevel } from '../http/http-options.js';

/** What the server process logs with: one JSON object per line on stderr (stdout carries only the ready line). */
export interface ServeLogger {
  /** Per-call lines (gRPC); dropped unless the level is debug or trace. */
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A line already formatted as JSON (fastify's request log), written as it is. */
  write(line: string): void;
}

/**
 * JSON lines on `write` (default: stderr), shaped like fastify's pino lines so one stream reads as one log:
 * `{"level": 30|40|50, "time": epoch ms, "msg", ...fields}`.
 */
export function createServeLogger(options: { write?: (line: string) => void; level?: LogLevel } = {}): ServeLogger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const log =
    (level: number) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      write(`${JSON.stringify({ level, time: Date.now(), msg, ...fields })}\n`);
    };
  const logger: ServeLogger = {
    debug: log(20),
    info: log(30),
    warn: log(40),
    error: log(50),
    write: (line) => write(line.endsWith('\n') ? line : `${line}\n`),
  };
  return options.level === undefined ? logger : leveledLogger(logger, options.level);
}

const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
});

/**
 * Drops the lines below `level` (pino's numbers: debug 20, info 30, warn 40, error 50). `write` passes through: its
 * lines are fastify's, which its own logger has already filtered at the same level.
 */
export function leveledLogger(logger: ServeLogger, level: LogLevel): ServeLogger {
  const min = LEVEL_VALUES[level];
  const drop = (): void => undefined;
  return {
    debug: min <= 20 ? logger.debug : drop,
    info: min <= 30 ? logger.info : drop,
    warn: min <= 40 ? logger.warn : drop,
    error: min <= 50 ? logger.error : drop,
    write: (line) => logger.write(line),
  };
}

/**
 * The gRPC per-call log: one debug line per call (request id, method, model, status, code, ms); UNAVAILABLE at warn
 * (but draining and not-ready refusals stay at debug, like their HTTP 503s), INTERNAL and unexpected errors (with
 * their text) at error, always with the request id.
 */
export function grpcCallLogger(logger: ServeLogger): (entry: GrpcCallLog) => void {
  const internal = GRPC_STATUS_BY_KIND['INTERNAL'];
  const unavailable = GRPC_STATUS_BY_KIND['UNAVAILABLE'];
  return ({ error, ...entry }) => {
    const fields = { ...entry, durationMs: Math.round(entry.durationMs * 1000) / 1000 };
    if (error !== undefined) logger.error('grpc call failed', { ...fields, error: String(error) });
    else if (entry.status === internal) logger.error('grpc call failed', fields);
    else if (
      entry.status === unavailable &&
      entry.code !== 'TCH_ERR_SERVER_DRAINING' &&
      entry.code !== 'TCH_ERR_MODEL_NOT_READY'
    )
      logger.warn('grpc call failed', fields);
    else logger.debug('grpc call', fields);
  };
}

/** Every occurrence of each secret (8+ characters) replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets)
    if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Wraps a logger so that every line is scrubbed of `secrets()` (the keys in force) before it is written. Keys are
 * never handed to a logger on purpose; this catches the accidents (an error message quoting a header, say).
 */
export function redactingLogger(logger: ServeLogger, secrets: () => readonly string[]): ServeLogger {
  const wrap =
    (fn: ServeLogger['info']): ServeLogger['info'] =>
    (msg, fields) => {
      const current = secrets();
      if (current.length === 0) return fn(msg, fields);
      fn(
        redact(msg, current),
        fields && (JSON.parse(redact(JSON.stringify(fields), current)) as Record<string, unknown>),
      );
    };
  return {
    debug: wrap(logger.debug),
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    write: (line) => logger.write(redact(line, secrets())),
  };
}
