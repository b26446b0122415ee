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

/** Prints an error as `error CODE: message` and returns the exit code. */
export function reportError(error: unknown): number {
  const e = (error ?? {}) as CodedError;
  const code = typeof e.code === 'string' && e.code.startsWith('TCH_ERR_') ? e.code : undefined;
  if (code) printError(`error ${code}: ${String(e.message)}`);
  else if (error instanceof TypeError || error instanceof RangeError) printError(`error: ${error.message}`);
  else printError(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return code || error instanceof TypeError || error instanceof RangeError ? 1 : 70;
}

/** A one-line download progress bar, drawn only on a TTY. */
export function createProgressPrinter(): ((p: { id: string; received: number; total: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return ({ id, received, total }) => {
    const percent = Math.floor((received / total) * 100);
    if (percent === last) return;
    last = percent;
    const width = 30;
    const filled = Math.round((percent / 100) * width);
    process.stderr.write(`\r${id} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent}% ${(received / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`);
    if (received >= total) process.stderr.write('\n');
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
  top.forEach((t, i) => printLine(`  ${i + 1}. ${t.label.padEnd(width)}  ${(t.score * 100).toFixed(2).padStart(6)}%  (class ${t.index})`));
}
