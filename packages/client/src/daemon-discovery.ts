import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DAEMON_DIR, DAEMON_INFO_FILE, DAEMON_TOKEN_FILE, type DaemonInfo } from '@tachyon-serve/protocol';
import { DaemonClient } from './daemon-client.js';
import { probeDaemon } from './daemon-probe.js';

/** `daemon.json` as written by the daemon, or undefined when it is missing or not a DaemonInfo. */
export async function readDaemonInfoFile(file: string): Promise<DaemonInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(file, 'utf8')) as DaemonInfo;
    return typeof info.url === 'string' && typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The daemon token (`daemon.token`, trimmed), or undefined when it is missing or empty. */
export async function readDaemonTokenFile(file: string): Promise<string | undefined> {
  try {
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/**
 * A client of the deployment daemon that runs for the workspace whose root folder (the one holding tachyon.json) is
 * `workspaceRoot`, or undefined when `<root>/.tachyon/daemon.json` names none that answers for that workspace. Starts
 * nothing: `ensureDaemon` of @tachyon-serve/server does that.
 */
export async function findDaemonAt(workspaceRoot: string): Promise<DaemonClient | undefined> {
  if (typeof workspaceRoot !== 'string' || workspaceRoot === '')
    throw new TypeError('workspaceRoot: expected the workspace folder.');
  const root = resolve(workspaceRoot);
  const dir = join(root, DAEMON_DIR);
  const info = await readDaemonInfoFile(join(dir, DAEMON_INFO_FILE));
  const token = await readDaemonTokenFile(join(dir, DAEMON_TOKEN_FILE));
  if (info === undefined || token === undefined) return undefined;
  const health = await probeDaemon(info.url, token);
  return health !== undefined && health.workspace === root ? new DaemonClient(info.url, token) : undefined;
}
