import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingLogOptions {
  /** Size at which the file is rotated. @default 5 MiB */
  maxBytes?: number;
  /** Files kept in all (`log`, `log.1`, ... `log.<files-1>`). @default 3 */
  files?: number;
}

export const ROTATING_LOG_DEFAULTS = Object.freeze({ maxBytes: 5 * 1024 * 1024, files: 3 });

/**
 * An append-only log file rotated by size: when a write would pass `maxBytes`, `log.1` becomes `log.2` (the oldest
 * is dropped), `log` becomes `log.1` and a new `log` starts. Writes are synchronous and whole, so lines of the
 * supervised process never interleave with the supervisor's own.
 */
export class RotatingLog {
  readonly file: string;
  readonly #maxBytes: number;
  readonly #files: number;
  #fd: number | undefined;
  #size = 0;

  constructor(file: string, options: RotatingLogOptions = {}) {
    if (typeof file !== 'string' || file === '') throw new TypeError('file: expected a path.');
    const maxBytes = options.maxBytes ?? ROTATING_LOG_DEFAULTS.maxBytes;
    const files = options.files ?? ROTATING_LOG_DEFAULTS.files;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1)
      throw new RangeError('options.maxBytes: expected a positive integer.');
    if (!Number.isSafeInteger(files) || files < 1) throw new RangeError('options.files: expected a positive integer.');
    this.file = file;
    this.#maxBytes = maxBytes;
    this.#files = files;
  }

  write(chunk: string | Buffer): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#fd === undefined) this.#open();
    if (this.#size > 0 && this.#size + bytes.length > this.#maxBytes) {
      this.#rotate();
    }
    writeSync(this.#fd!, bytes);
    this.#size += bytes.length;
  }

  /** The last `count` lines over the current file and the rotated ones (newest last). */
  tail(count: number): string[] {
    if (!Number.isInteger(count) || count < 0) throw new RangeError('count: expected a non-negative integer.');
    const lines: string[] = [];
    for (let i = 0; i < this.#files && lines.length < count; i++) {
      const name = i === 0 ? this.file : `${this.file}.${i}`;
      if (!existsSync(name)) break;
      const text = readFileSync(name, 'utf8');
      const own = text.split('\n').filter((l) => l !== '');
      lines.unshift(...own.slice(Math.max(0, own.length - (count - lines.length))));
    }
    return count === 0 ? [] : lines.slice(-count);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #open(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    this.#fd = openSync(this.file, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  #rotate(): void {
    this.close();
    rmSync(`${this.file}.${this.#files - 1}`, { force: true });
    for (let i = this.#files - 2; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    if (this.#files > 1) renameSync(this.file, `${this.file}.1`);
    else rmSync(this.file, { force: true });
    this.#open();
  }
}
