/** What the server process logs with: one JSON object per line on stderr (stdout carries only the ready line). */
export interface ServeLogger {
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
export function createServeLogger(options: { write?: (line: string) => void } = {}): ServeLogger {
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const log = (level: number) => (msg: string, fields: Record<string, unknown> = {}) => {
    write(`${JSON.stringify({ level, time: Date.now(), msg, ...fields })}\n`);
  };
  return { info: log(30), warn: log(40), error: log(50), write: (line) => write(line.endsWith('\n') ? line : `${line}\n`) };
}

/** Every occurrence of each secret (8+ characters) replaced by `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * Wraps a logger so that every line is scrubbed of `secrets()` (the keys in force) before it is written. Keys are
 * never handed to a logger on purpose; this catches the accidents (an error message quoting a header, say).
 */
export function redactingLogger(logger: ServeLogger, secrets: () => readonly string[]): ServeLogger {
  const wrap = (fn: ServeLogger['info']): ServeLogger['info'] => (msg, fields) => {
    const current = secrets();
    if (current.length === 0) return fn(msg, fields);
    fn(redact(msg, current), fields && (JSON.parse(redact(JSON.stringify(fields), current)) as Record<string, unknown>));
  };
  return {
    info: wrap(logger.info),
    warn: wrap(logger.warn),
    error: wrap(logger.error),
    write: (line) => logger.write(redact(line, secrets())),
  };
}
