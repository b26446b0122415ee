// A real `tachyon serve` process on 127.0.0.1 (ephemeral ports), as a user starts it: the suite kills it, samples
// its memory, reads its log and checks it is still alive after every fault.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CLI_BIN, FAULT_PRELOAD, sharedModels } from './paths.js';

export interface ServeProcessOptions {
  /** `tachyon serve` arguments after the global ones (e.g. `--model`, `--keys`, `--tls-cert`). */
  args: readonly string[];
  /** Working directory (also holds the download cache). */
  cwd: string;
  /** Load the test-only fault preload (worker exits on SIGUSR2). @default false */
  faultPreload?: boolean;
  /** Give up waiting for the ready line after this long. @default 120000 */
  startTimeoutMs?: number;
}

export interface ReadyLine {
  http: string;
  grpc: string;
  models: string[];
  keys?: { primary: string; secondary: string };
  adminKey?: string;
}

/** One server process; `stderrLines` grows as it logs. */
export class ServeProcess {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly ready: ReadyLine,
    /** Every line the process wrote on stderr so far (JSON log lines). */
    readonly stderrLines: readonly string[],
    exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ) {
    this.exited = exited.then((e) => (this.#exit = e));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Whether the process is still running (never exited, crashed or was killed). */
  get alive(): boolean {
    return this.#exit === undefined;
  }

  get exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  /** Waits (bounded) for a stderr line matching `pattern` that was logged after line index `from`. */
  async waitForLog(pattern: RegExp, from = 0, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.stderrLines.slice(from).find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline || !this.alive)
        throw new Error(`no log line matching ${pattern} (process ${this.alive ? 'alive' : 'exited'})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGTERM (drain), then SIGKILL if it lingers. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  static start(options: ServeProcessOptions): Promise<ServeProcess> {
    const node = [...(options.faultPreload ? ['--import', FAULT_PRELOAD] : []), CLI_BIN];
    const args = [
      ...node,
      '--model-path',
      sharedModels(),
      '--cache-dir',
      `${options.cwd}/cache`,
      '--offline',
      'serve',
      '--http-port',
      '0',
      '--grpc-port',
      '0',
      ...options.args,
    ];
    const env = { ...process.env };
    delete env['TACHYON_MODEL_PATH'];
    mkdirSync(options.cwd, { recursive: true });
    const child = spawn(process.execPath, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      // A spawn failure (no such binary or folder) emits 'error' and no 'exit'.
      child.once('error', () => resolve({ code: null, signal: null }));
    });
    const stderrLines: string[] = [];
    createInterface({ input: child.stderr! }).on('line', (l) => stderrLines.push(l));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(
            `tachyon serve printed no ready line in ${options.startTimeoutMs ?? 120_000} ms; log: ${stderrLines.slice(-5).join(' | ')}`,
          ),
        );
      }, options.startTimeoutMs ?? 120_000);
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(new ServeProcess(child, JSON.parse(line) as ReadyLine, stderrLines, exited));
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(
          new Error(
            `tachyon serve exited (${code ?? signal}) before it was ready; log: ${stderrLines.slice(-5).join(' | ')}`,
          ),
        );
      });
    });
  }
}
