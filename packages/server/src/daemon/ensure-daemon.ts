import { spawn } from 'node:child_process';
import { closeSync, readFileSync, mkdirSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { findDaemonAt, type DaemonClient } from '@tachyon-serve/client';
import { locateWorkspaceConfig } from '@tachyon-serve/core';
import { TachyonError } from '@tachyon-serve/protocol';
import { daemonPaths } from './daemon-files.js';

/** The daemon entry script (`node daemon-main.js --workspace DIR`). */
export const DAEMON_MAIN = fileURLToPath(new URL('./daemon-main.js', import.meta.url));

export interface EnsureDaemonOptions {
  /** How long to wait for a spawned daemon to answer. @default 30000 */
  startTimeoutMs?: number;
  /** Extra environment of a spawned daemon (e.g. supervisor timing for tests). @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * The workspace's running daemon, or undefined when daemon.json names none that answers. `workspaceRoot` may be any
 * folder in the workspace or its tachyon.json (`findDaemonAt` of @tachyon-serve/client wants the root itself).
 */
export async function findDaemon(workspaceRoot: string): Promise<DaemonClient | undefined> {
  return findDaemonAt(locateWorkspaceConfig(workspaceRoot).root);
}

/**
 * A client of the workspace's deployment daemon, starting one if none runs (like a container engine's daemon): it is
 * found through `<root>/.tachyon/daemon.json` and its token file; otherwise `node daemon-main.js` is spawned detached
 * (stdout and stderr to `.tachyon/daemon.log`, unref'd) and waited for. TCH_ERR_DAEMON_UNAVAILABLE, naming the log
 * file, when it does not answer in time.
 */
export async function ensureDaemon(workspaceRoot: string, options: EnsureDaemonOptions = {}): Promise<DaemonClient> {
  if (typeof workspaceRoot !== 'string' || workspaceRoot === '')
    throw new TypeError('workspaceRoot: expected the workspace folder.');
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const running = await findDaemon(workspaceRoot);
  if (running !== undefined) return running;
  const root = locateWorkspaceConfig(workspaceRoot).root;
  const paths = daemonPaths(root);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const logFd = openSync(paths.log, 'a', 0o600);
  let exit: { code: number | null } | undefined;
  try {
    const child = spawn(process.execPath, [DAEMON_MAIN, '--workspace', root], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: options.env ?? process.env,
      cwd: root,
    });
    child.once('exit', (code) => (exit = { code }));
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    const found = await findDaemon(root);
    if (found !== undefined) return found;
    if (exit?.code === 4) throw leaseHeldFromLog(paths.log, root);
    // A daemon that exited may have lost a start race to another one: keep looking until the deadline.
    await sleep(exit === undefined ? 100 : 250);
  }
  throw new TachyonError(
    'TCH_ERR_DAEMON_UNAVAILABLE',
    `The deployment daemon of "${root}" did not answer within ${startTimeoutMs} ms; see "${paths.log}".`,
    {
      details: { workspace: root, logFile: paths.log, ...(exit === undefined ? {} : { exitCode: exit.code }) },
    },
  );
}

/** Exit code 4: another daemon holds the registry's controller lease; its last log line names the holder. */
function leaseHeldFromLog(logFile: string, root: string): TachyonError {
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { code?: string; error?: string };
      if (entry.code === 'TCH_ERR_DAEMON_LEASE_HELD' && typeof entry.error === 'string') {
        return new TachyonError('TCH_ERR_DAEMON_LEASE_HELD', entry.error, { details: { workspace: root, logFile } });
      }
    } catch {
      // not a JSON line
    }
  }
  return new TachyonError(
    'TCH_ERR_DAEMON_LEASE_HELD',
    `Another deployment daemon controls the registry of "${root}"; see "${logFile}".`,
    { details: { workspace: root, logFile } },
  );
}
