import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { probeDaemon } from '@tachyon-serve/client';
import {
  DeploymentController,
  acquireRegistryLease,
  createRegistryStore,
  type LeaseEvent,
  type RegistryLease,
  isAlive,
  locateWorkspaceConfig,
  type RegistryStore,
  type SupervisorOptions,
} from '@tachyon-serve/core';
import { TachyonError } from '@tachyon-serve/protocol';
import { SERVER_VERSION } from '../server-version.js';
import { buildDaemonApp } from './daemon-app.js';
import {
  daemonPaths,
  ensureDaemonToken,
  readDaemonInfo,
  readDaemonToken,
  removeDaemonInfo,
  writeDaemonInfo,
  type DaemonPaths,
} from './daemon-files.js';
import { ServiceStateHistory } from './ui-state-history.js';

export interface DaemonOptions {
  /** The workspace folder (or its tachyon.json). */
  workspace: string;
  /** Supervisor timing (health checks, restart backoff...). @default SUPERVISOR_DEFAULTS */
  supervisor?: SupervisorOptions;
  /** One line per thing the daemon does. @default lines on stderr */
  log?: (message: string) => void;
  /** Controller lease timing (PostgreSQL: connection check and retry interval). @default { checkIntervalMs: 1000 } */
  lease?: { checkIntervalMs?: number };
}

export interface RunningDaemon {
  readonly url: string;
  readonly token: string;
  readonly workspace: string;
  readonly controller: DeploymentController;
  /** Settles once the daemon has stopped (after `close()` or `POST /v1/shutdown`). */
  readonly closed: Promise<void>;
  /** Why the daemon stopped on its own (another daemon took its registry lease), once `closed` settled. */
  readonly failure: Error | undefined;
  /** Stops every service process (rows stay), the HTTP server, and removes daemon.json. */
  close(): Promise<void>;
}

/** The service process entry (`tachyon serve --config FILE` without the CLI). */
export const SERVICE_MAIN = fileURLToPath(new URL('./service-main.js', import.meta.url));

/**
 * Runs a workspace's deployment daemon in this process: refuses to start when another daemon of the workspace is
 * alive and healthy (TCH_ERR_DAEMON_UNAVAILABLE... with `details.running`), opens the workspace registry, listens on
 * 127.0.0.1 (a free port), writes daemon.json and reconciles every deployment row (starts their processes).
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  if (typeof options !== 'object' || options === null || typeof options.workspace !== 'string')
    throw new TypeError('options.workspace: expected a folder.');
  const config = locateWorkspaceConfig(options.workspace);
  const root = config.root;
  const log =
    options.log ??
    ((message: string) =>
      void process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message })}\n`));
  const paths = daemonPaths(root);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  await takeLock(paths);
  let store: RegistryStore | undefined;
  let lease: RegistryLease | undefined;
  try {
    const token = await ensureDaemonToken(paths);
    store = await createRegistryStore(config.registry);
    // One controller per registry: two workspaces (or machines) pointing at one registry must not both run it.
    let onLease: (event: LeaseEvent) => void = () => undefined;
    lease = await acquireRegistryLease(config.registry, { ...options.lease, onEvent: (event) => onLease(event) });
    const heldLease = lease;
    const history = new ServiceStateHistory(); // the dashboard's state history: sees every state the controller writes
    const controllerStore = history.wrapStore(store);
    const controller = new DeploymentController({
      workspaceRoot: root,
      store: controllerStore,
      launcher: {
        command: process.execPath,
        args: (file, ports) => [
          SERVICE_MAIN,
          '--config',
          file,
          '--http-port',
          String(ports.httpPort),
          '--grpc-port',
          String(ports.grpcPort),
        ],
      },
      ...(options.supervisor === undefined ? {} : { supervisor: options.supervisor }),
      logger: log,
    });
    let resolveClosed!: () => void;
    const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
    let closing: Promise<void> | undefined;
    const openStore = store;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        log('daemon stopping');
        await controller.shutdown();
        await app.close();
        await removeDaemonInfo(paths, process.pid);
        await rm(paths.lock, { force: true });
        await heldLease.release();
        await openStore.close();
        log('daemon stopped');
        resolveClosed();
      })();
      return closing;
    };
    const app = buildDaemonApp({
      controller,
      token,
      workspace: root,
      version: SERVER_VERSION,
      onShutdown: () => void close(),
      log,
      ui: { config, controller, store: controllerStore, history },
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    await writeDaemonInfo(paths, {
      pid: process.pid,
      url,
      startedAt: new Date().toISOString(),
      version: SERVER_VERSION,
    });
    log(`daemon listening on ${url} for workspace "${root}" (controller lease held as "${heldLease.holder}")`);
    let failure: Error | undefined;
    onLease = (event) => {
      if (event.type === 'lost') controller.pause(`registry lease lost: ${event.reason}`);
      else if (event.type === 'regained') {
        log('registry reachable again: controller lease retaken');
        controller.resume();
      } else {
        failure = event.error;
        log(`stopping: ${event.error.code}: ${event.error.message}`);
        void close();
      }
    };
    await controller.start();
    return {
      url,
      token,
      workspace: root,
      controller,
      closed,
      close,
      get failure() {
        return failure;
      },
    };
  } catch (error) {
    await lease?.release().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await rm(paths.lock, { force: true });
    throw error;
  }
}

/**
 * One daemon per workspace: `daemon.lock` (created exclusively, holding the pid) is taken over only when its pid is
 * dead, or when it is alive but the daemon.json it describes does not answer /v1/health.
 */
async function takeLock(paths: DaemonPaths): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(paths.lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(existsSync(paths.lock) ? readFileSync(paths.lock, 'utf8').trim() : NaN);
    if (Number.isSafeInteger(holder) && holder !== process.pid && isAlive(holder)) {
      const info = await readDaemonInfo(paths);
      const token = await readDaemonToken(paths);
      if (info?.pid === holder && token !== undefined && (await probeDaemon(info.url, token)) !== undefined) {
        throw new TachyonError(
          'TCH_ERR_DAEMON_UNAVAILABLE',
          `A deployment daemon already runs for this workspace (pid ${holder}, ${info.url}).`,
          {
            details: { running: true, pid: holder, url: info.url, logFile: paths.log },
          },
        );
      }
      // Alive but not (yet) answering: it may be starting. Do not steal its lock.
      if (info?.pid !== holder) {
        throw new TachyonError(
          'TCH_ERR_DAEMON_UNAVAILABLE',
          `Another deployment daemon (pid ${holder}) is starting for this workspace.`,
          {
            details: { running: true, pid: holder, logFile: paths.log },
          },
        );
      }
    }
    await rm(paths.lock, { force: true });
  }
  throw new TachyonError('TCH_ERR_DAEMON_UNAVAILABLE', `Cannot take the daemon lock "${paths.lock}".`, {
    details: { lock: paths.lock, logFile: paths.log },
  });
}
