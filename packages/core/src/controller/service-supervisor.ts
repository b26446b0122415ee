import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { TachyonError, isErrorCode } from '@tachyon-serve/protocol';
import { childRequest } from './child-http.js';
import { parseStartupError } from './startup-error.js';
import type { RotatingLog } from './rotating-log.js';
import type { ServicePaths } from './service-files.js';
import { backoffDelay, type SupervisorConfig } from './supervisor-options.js';

/** How the controller starts a service process: `command ...args(configFile, ports)` (e.g. node + the serve entry). */
export interface ServiceLauncher {
  readonly command: string;
  args(serveConfigFile: string, ports: { httpPort: number; grpcPort: number }): string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Exit code a service process uses when it cannot start for a reason a restart will not fix (bad model, config). */
export const EXIT_PERMANENT_FAILURE = 2;

export interface ReadyInfo {
  pid: number;
  httpUrl: string;
  grpcAddress: string;
  httpPort: number;
  grpcPort: number;
}

/** What a supervisor runs and how it reports. */
export interface SupervisedService {
  readonly name: string;
  readonly paths: ServicePaths;
  readonly launcher: ServiceLauncher;
  readonly log: RotatingLog;
  readonly config: SupervisorConfig;
  readonly onEvent: (event: SupervisorEvent) => void;
  /** The spec's ports (0 = any free one). */
  readonly specPorts: { httpPort: number; grpcPort: number };
  /** Ports the service listened on before (kept so its URL survives restarts); dropped after a failed start. */
  readonly rememberedPorts?: { httpPort: number; grpcPort: number } | undefined;
  /** PEM file to trust when health-checking over https (the self-signed certificate); system CAs otherwise. */
  readonly caFile?: string | undefined;
}

export type SupervisorEvent =
  | { type: 'starting'; attempt: number }
  | ({ type: 'ready' } & ReadyInfo)
  | { type: 'healthy' }
  | { type: 'unhealthy'; reason: string }
  | { type: 'crashed'; reason: string; restartInMs: number }
  | { type: 'failed'; reason: string };

/**
 * Runs one service process and keeps it running: spawns it, waits for its ready line, health-checks it every few
 * seconds, restarts it after a crash with exponential backoff and gives up (`failed`) after `maxCrashes` crashes in a
 * row or at once when it exits with EXIT_PERMANENT_FAILURE before being ready. Reports what it sees through `onEvent`;
 * the controller turns that into states. Its stdin is a pipe, so the process also ends when the daemon dies.
 */
export class ServiceSupervisor {
  readonly name: string;
  #child: ChildProcess | undefined;
  #ready: ReadyInfo | undefined;
  #wanted = false;
  #crashes = 0;
  #restarts = 0;
  #attempt = 0;
  #readyAt = 0;
  #failedChecks = 0;
  #unhealthy = false;
  #healthTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #ports: { httpPort: number; grpcPort: number };
  #exited: Promise<void> = Promise.resolve();

  readonly #s: SupervisedService;

  constructor(service: SupervisedService) {
    this.#s = service;
    this.name = service.name;
    this.#ports = { ...(service.rememberedPorts ?? service.specPorts) };
  }

  get pid(): number | undefined {
    return this.#ready?.pid ?? this.#child?.pid;
  }
  get ready(): ReadyInfo | undefined {
    return this.#ready;
  }
  /** Restarts after crashes since the supervisor was made. */
  get restarts(): number {
    return this.#restarts;
  }

  /** Starts the process (and keeps it running) unless it already runs. */
  start(): void {
    if (this.#wanted) return;
    this.#wanted = true;
    this.#crashes = 0;
    this.#spawn();
  }

  /** Stops supervising: SIGTERM (the server drains), SIGKILL after stopTimeoutMs; resolves once the process is gone. */
  async stop(): Promise<void> {
    this.#wanted = false;
    this.#clearTimers();
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return this.#exited;
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), this.#s.config.stopTimeoutMs);
    await this.#exited;
    clearTimeout(kill);
  }

  /**
   * Rolling update on the running process: asks its model-control API to serve exactly `version` (the new version
   * loads and warms while the old one serves, then traffic switches and the old one drains). Rejects with the
   * server's error (the old version keeps serving).
   */
  async loadVersion(version: number): Promise<void> {
    const ready = this.#ready;
    if (ready === undefined)
      throw new TachyonError('TCH_ERR_DEPLOY_FAILED', `Service "${this.name}" has no running process to update.`, {
        details: { service: this.name },
      });
    const keys = JSON.parse(await readFile(this.#s.paths.keys, 'utf8')) as { admin: string };
    const ca = ready.httpUrl.startsWith('https:') ? await this.#caFile() : undefined;
    const reply = await childRequest({
      method: 'POST',
      url: `${ready.httpUrl}/v2/repository/models/${encodeURIComponent(this.name)}/load`,
      bearer: keys.admin,
      ca,
      body: { parameters: { version_policy: { specific: [String(version)] } } },
      timeoutMs: this.#s.config.loadTimeoutMs,
    });
    if (reply.status !== 200) {
      const body = reply.body as { code?: unknown; error?: unknown } | undefined;
      const code = isErrorCode(body?.code) ? body.code : 'TCH_ERR_DEPLOY_FAILED';
      throw new TachyonError(
        code,
        `Service "${this.name}" could not load version ${version}: ${String(body?.error ?? `HTTP ${reply.status}`)}`,
        {
          details: { service: this.name, version, status: reply.status },
        },
      );
    }
  }

  /** SIGHUP: the server re-reads its keys file and certificate. Resolves when it logged the reload (or after 5 s). */
  async reloadKeys(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || this.#ready === undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 5000);
      function done(): void {
        clearTimeout(timer);
        child!.stderr!.off('data', onData);
        resolve();
      }
      const onData = (chunk: Buffer) => {
        if (/keys reloaded|reload failed|keys unchanged/.test(chunk.toString('utf8'))) done();
      };
      child.stderr!.on('data', onData);
      child.kill('SIGHUP');
    });
  }

  #spawn(): void {
    this.#attempt++;
    this.#ready = undefined;
    this.#failedChecks = 0;
    this.#unhealthy = false;
    this.#lastError = undefined;
    this.#s.onEvent({ type: 'starting', attempt: this.#attempt });
    this.#s.log.write(
      `${JSON.stringify({ time: new Date().toISOString(), supervisor: `starting "${this.name}" (attempt ${this.#attempt})` })}\n`,
    );
    // The server's temporary files go under the service folder, so a process killed with -9 leaves nothing in the
    // system temp folder: the next start empties it, deleting the service removes it.
    rmSync(this.#s.paths.tmp, { recursive: true, force: true });
    mkdirSync(this.#s.paths.tmp, { recursive: true, mode: 0o700 });
    const child = spawn(this.#s.launcher.command, this.#s.launcher.args(this.#s.paths.serveConfig, this.#ports), {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...(this.#s.launcher.env ?? process.env), TMPDIR: this.#s.paths.tmp },
    });
    this.#child = child;
    let resolveExit!: () => void;
    this.#exited = new Promise((resolve) => (resolveExit = resolve));
    let stdoutBuffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      this.#s.log.write(chunk);
      stdoutBuffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = stdoutBuffer.indexOf('\n')) >= 0) {
        const line = stdoutBuffer.slice(0, nl);
        stdoutBuffer = stdoutBuffer.slice(nl + 1);
        if (child === this.#child && this.#ready === undefined) this.#onStdoutLine(child, line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#s.log.write(chunk);
      for (const line of chunk.toString('utf8').split('\n')) {
        const error = parseStartupError(line);
        if (error !== undefined) this.#lastError = error;
      }
    });
    child.stdin!.on('error', () => undefined);
    child.on('error', (error) => {
      this.#lastError = `cannot start the process: ${error.message}`;
    });
    child.on('exit', (code, signal) => {
      resolveExit();
      if (child === this.#child) this.#onExit(code, signal);
    });
    this.#startTimer = setTimeout(() => {
      if (this.#ready === undefined && child === this.#child) {
        this.#lastError = `not ready within ${this.#s.config.startTimeoutMs} ms`;
        child.kill('SIGKILL');
      }
    }, this.#s.config.startTimeoutMs);
  }

  #onStdoutLine(child: ChildProcess, line: string): void {
    let ready: { http?: unknown; grpc?: unknown };
    try {
      ready = JSON.parse(line) as { http?: unknown; grpc?: unknown };
    } catch {
      return;
    }
    if (typeof ready.http !== 'string' || typeof ready.grpc !== 'string') return;
    clearTimeout(this.#startTimer);
    const httpPort = Number(new URL(ready.http).port);
    const grpcPort = Number(ready.grpc.slice(ready.grpc.lastIndexOf(':') + 1));
    this.#ports = { httpPort, grpcPort };
    this.#ready = { pid: child.pid!, httpUrl: ready.http, grpcAddress: ready.grpc, httpPort, grpcPort };
    this.#readyAt = Date.now();
    this.#s.onEvent({ type: 'ready', ...this.#ready });
    this.#healthTimer = setInterval(() => void this.#check(), this.#s.config.healthIntervalMs);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#clearTimers();
    const wasReady = this.#ready !== undefined;
    this.#ready = undefined;
    if (!this.#wanted) return;
    const how = signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;
    const reason = `the server process ${how}${this.#lastError === undefined ? '' : ` (${this.#lastError})`}`;
    if (!wasReady && code === EXIT_PERMANENT_FAILURE) {
      this.#wanted = false;
      this.#s.onEvent({ type: 'failed', reason: this.#lastError ?? reason });
      return;
    }
    if (wasReady && Date.now() - this.#readyAt >= this.#s.config.backoffResetMs) this.#crashes = 0;
    this.#crashes++;
    if (this.#crashes >= this.#s.config.maxCrashes) {
      this.#wanted = false;
      this.#s.onEvent({ type: 'failed', reason: `${reason}; gave up after ${this.#crashes} crashes in a row` });
      return;
    }
    // A port picked by the daemon that cannot be bound again is given up for a fresh one.
    if (!wasReady) this.#ports = { ...this.#s.specPorts };
    const delay = backoffDelay(this.#s.config, this.#crashes);
    this.#s.onEvent({ type: 'crashed', reason: `${reason}; restarting in ${delay} ms`, restartInMs: delay });
    this.#restartTimer = setTimeout(() => {
      if (!this.#wanted) return;
      this.#restarts++;
      this.#spawn();
    }, delay);
  }

  async #check(): Promise<void> {
    const ready = this.#ready;
    if (ready === undefined) return;
    let reason: string | undefined;
    try {
      const ca = ready.httpUrl.startsWith('https:') ? await this.#caFile() : undefined;
      const reply = await childRequest({
        method: 'GET',
        url: `${ready.httpUrl}/v2/health/ready`,
        ca,
        timeoutMs: this.#s.config.healthTimeoutMs,
      });
      if (reply.status !== 200) reason = `health check answered HTTP ${reply.status}`;
    } catch (error) {
      reason = `health check failed: ${(error as Error).message}`;
    }
    if (ready !== this.#ready) return;
    if (reason === undefined) {
      this.#failedChecks = 0;
      if (this.#unhealthy) {
        this.#unhealthy = false;
        this.#s.onEvent({ type: 'healthy' });
      }
      return;
    }
    this.#failedChecks++;
    if (this.#failedChecks >= this.#s.config.unhealthyAfter && !this.#unhealthy) {
      this.#unhealthy = true;
      this.#s.onEvent({ type: 'unhealthy', reason });
    }
  }

  #caPem: Buffer | undefined;
  async #caFile(): Promise<Buffer | undefined> {
    if (this.#s.caFile === undefined) return undefined;
    this.#caPem ??= await readFile(this.#s.caFile).catch(() => undefined);
    return this.#caPem;
  }

  #clearTimers(): void {
    clearInterval(this.#healthTimer);
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#startTimer);
  }
}
