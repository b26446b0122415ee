import { basename } from 'node:path';

/** Everything the CLI writes: JSON alone on stdout, progress and errors on stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printError(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface CodedError {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

/** Exit codes (README): 0 success, 1 a reported error, 2 a usage error (bad command line), 70 an internal bug. */
export const EXIT_USAGE = 2;

/**
 * Prints an error and returns the exit code: `error CODE: message` on stderr, or with `json` one object
 * `{"error", "code", "details"}` on stdout and nothing else (code TCH_ERR_USAGE for a usage error, TCH_ERR_INVALID_ARGUMENT
 * for a rejected value, TCH_ERR_INTERNAL for a bug).
 */
export function reportError(error: unknown, options: { json?: boolean; usage?: boolean } = {}): number {
  const e = (error ?? {}) as CodedError;
  const code = typeof e.code === 'string' && e.code.startsWith('TCH_ERR_') ? e.code : undefined;
  const argument = error instanceof TypeError || error instanceof RangeError;
  const exitCode = options.usage === true ? EXIT_USAGE : code || argument ? 1 : 70;
  if (options.json === true) {
    const message = error instanceof Error ? error.message.replace(/^error: /, '') : String(error);
    const jsonCode =
      code ?? (options.usage === true ? 'TCH_ERR_USAGE' : argument ? 'TCH_ERR_INVALID_ARGUMENT' : 'TCH_ERR_INTERNAL');
    const details = e.details !== undefined && e.details !== null && typeof e.details === 'object' ? e.details : {};
    printJson({ error: message, code: jsonCode, details });
    return exitCode;
  }
  if (options.usage === true) return exitCode; // commander printed the message and the help hint on stderr
  if (code) printError(`error ${code}: ${String(e.message)}`);
  else if (error instanceof TypeError || error instanceof RangeError) printError(`error: ${error.message}`);
  else printError(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return code || error instanceof TypeError || error instanceof RangeError ? 1 : 70;
}

/**
 * Download progress on stderr: a redrawn bar on a TTY; elsewhere (CI logs) one line per 10 %, so a log shows it move.
 */
export function createProgressPrinter(
  stream: { isTTY?: boolean; write(s: string): unknown } = process.stderr,
): ((p: { id: string; received: number; total: number }) => void) | undefined {
  if (!stream.isTTY) {
    let lastStep = -1;
    return ({ id, received, total }) => {
      const percent = total > 0 ? Math.floor((received / total) * 100) : 0;
      const step = received >= total ? 10 : Math.floor(percent / 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${id}: ${percent}% ${(received / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB\n`);
    };
  }
  let last = -1;
  return ({ id, received, total }) => {
    const percent = Math.floor((received / total) * 100);
    if (percent === last) return;
    last = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    stream.write(
      `\r${id} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${(received / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`,
    );
    if (received >= total) stream.write('\n');
  };
}

export interface ScoredLabel {
  index: number;
  label: string;
  score: number;
}

/** One image's top-k: a JSON line `{ file, top }`, or the file name and one ranked line per class. */
export function printClassification(file: string, top: readonly ScoredLabel[], json: boolean): void {
  if (json) {
    printJson({ file, top });
    return;
  }
  printLine(basename(file));
  const width = Math.max(...top.map((t) => t.label.length));
  top.forEach((t, i) =>
    printLine(`  ${i + 1}. ${t.label.padEnd(width)}  ${(t.score * 100).toFixed(2).padStart(6)}%  (class ${t.index})`),
  );
}
