import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readDaemonInfoFile, readDaemonTokenFile } from '@tachyon-serve/client';
import { daemonDir, writePrivateFile } from '@tachyon-serve/core';
import { DAEMON_INFO_FILE, DAEMON_TOKEN_FILE, type DaemonInfo } from '@tachyon-serve/protocol';

export type { DaemonInfo };

export interface DaemonPaths {
  readonly dir: string;
  readonly info: string;
  readonly token: string;
  readonly log: string;
  readonly lock: string;
}

export function daemonPaths(workspaceRoot: string): DaemonPaths {
  const dir = daemonDir(workspaceRoot);
  return Object.freeze({
    dir,
    info: join(dir, DAEMON_INFO_FILE),
    token: join(dir, DAEMON_TOKEN_FILE),
    log: join(dir, 'daemon.log'),
    lock: join(dir, 'daemon.lock'),
  });
}

export function readDaemonInfo(paths: DaemonPaths): Promise<DaemonInfo | undefined> {
  return readDaemonInfoFile(paths.info);
}

export async function writeDaemonInfo(paths: DaemonPaths, info: DaemonInfo): Promise<void> {
  await writePrivateFile(paths.info, `${JSON.stringify(info, null, 2)}\n`);
}

/** Removes daemon.json if it still describes this process (a newer daemon may have replaced it). */
export async function removeDaemonInfo(paths: DaemonPaths, pid: number): Promise<void> {
  const info = await readDaemonInfo(paths);
  if (info?.pid === pid) await rm(paths.info, { force: true });
}

export function readDaemonToken(paths: DaemonPaths): Promise<string | undefined> {
  return readDaemonTokenFile(paths.token);
}

/** The daemon's token (32 random bytes, base64url, mode 0600): kept across restarts, made when missing. */
export async function ensureDaemonToken(paths: DaemonPaths): Promise<string> {
  const existing = await readDaemonToken(paths);
  if (existing !== undefined) return existing;
  const token = randomBytes(32).toString('base64url');
  await writePrivateFile(paths.token, `${token}\n`);
  return token;
}
