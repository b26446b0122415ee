import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { daemonDir, writePrivateFile } from '@tachyon/core';

/** `daemon.json`: where a workspace's running daemon listens (the token is in its own 0600 file). */
export interface DaemonInfo {
  pid: number;
  url: string;
  startedAt: string;
  version: string;
}

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
    info: join(dir, 'daemon.json'),
    token: join(dir, 'daemon.token'),
    log: join(dir, 'daemon.log'),
    lock: join(dir, 'daemon.lock'),
  });
}

export async function readDaemonInfo(paths: DaemonPaths): Promise<DaemonInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(paths.info, 'utf8')) as DaemonInfo;
    return typeof info.url === 'string' && typeof info.pid === 'number' ? info : undefined;
  } catch {
    return undefined;
  }
}

export async function writeDaemonInfo(paths: DaemonPaths, info: DaemonInfo): Promise<void> {
  await writePrivateFile(paths.info, `${JSON.stringify(info, null, 2)}\n`);
}

/** Removes daemon.json if it still describes this process (a newer daemon may have replaced it). */
export async function removeDaemonInfo(paths: DaemonPaths, pid: number): Promise<void> {
  const info = await readDaemonInfo(paths);
  if (info?.pid === pid) await rm(paths.info, { force: true });
}

export async function readDaemonToken(paths: DaemonPaths): Promise<string | undefined> {
  try {
    const token = (await readFile(paths.token, 'utf8')).trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** The daemon's token (32 random bytes, base64url, mode 0600): kept across restarts, made when missing. */
export async function ensureDaemonToken(paths: DaemonPaths): Promise<string> {
  const existing = await readDaemonToken(paths);
  if (existing !== undefined) return existing;
  const token = randomBytes(32).toString('base64url');
  await writePrivateFile(paths.token, `${token}\n`);
  return token;
}
