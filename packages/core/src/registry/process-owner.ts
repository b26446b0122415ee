import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Who journaled a pending blob: `<hostname>:<pid>:<random>` (the random part tells registries of one process apart). */
export interface OwnerId {
  readonly host: string;
  readonly pid: number;
}

export function createOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
}

/** Parses from the right, so a host name is taken whole; undefined for an owner written in another form. */
export function parseOwnerId(owner: string): OwnerId | undefined {
  const parts = owner.split(':');
  if (parts.length < 3) return undefined;
  const pid = Number(parts.at(-2));
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return { host: parts.slice(0, -2).join(':'), pid };
}

/** Whether a process of this host is alive (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
