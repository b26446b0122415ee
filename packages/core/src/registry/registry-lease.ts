import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { TachyonError } from '@tachyon-serve/protocol';
import { isProcessAlive } from './process-owner.js';
import { describeRegistryLocation, isPostgresLocation } from './open-registry.js';

/**
 * Advisory lock key (two-int form) of the controller lease: a key space of its own, apart from the migration and
 * blob locks. pg_locks shows it as classid 7313, objid 1.
 */
const LEASE_KEY = [7313, 1] as const;

export type LeaseEvent =
  /** The connection holding the lease broke (PostgreSQL unreachable): change nothing until `regained`. */
  | { type: 'lost'; reason: string }
  /** The lease is held again on a new connection. */
  | { type: 'regained' }
  /** The database came back but another daemon holds the lease now: stop controlling. */
  | { type: 'taken'; holder: string; error: TachyonError };

export interface RegistryLeaseOptions {
  /** Who holds it, as shown to a refused daemon. @default `<hostname>:<pid>` */
  holder?: string;
  /** PostgreSQL: how often the lease connection is checked, and how often a lost lease is retried. @default 1000 */
  checkIntervalMs?: number;
  /** PostgreSQL: connect timeout of the lease connection. @default 5000 */
  connectTimeoutMs?: number;
  onEvent?: (event: LeaseEvent) => void;
}

/** One controller per registry: held by one daemon; released on close (or by the server when its process dies). */
export interface RegistryLease {
  readonly holder: string;
  /** False between a `lost` event and `regained` (and after `taken` or `release`). */
  readonly held: boolean;
  release(): Promise<void>;
}

/**
 * Takes the controller lease of a registry, or fails with TCH_ERR_DAEMON_LEASE_HELD naming the holder. PostgreSQL:
 * a session-level advisory lock on a dedicated connection whose application_name carries the holder (so a refused
 * daemon can name it through pg_stat_activity); the lock dies with the connection, so a crashed daemon frees it.
 * SQLite: `<file>.controller.lock` created exclusively, holding `{holder, host, pid}`; a lock of a dead process on
 * this host is taken over.
 */
export async function acquireRegistryLease(
  location: string,
  options: RegistryLeaseOptions = {},
): Promise<RegistryLease> {
  if (typeof location !== 'string' || location === '') throw new TypeError('location must be a non-empty string.');
  const holder = options.holder ?? `${hostname()}:${process.pid}`;
  return isPostgresLocation(location)
    ? PostgresLease.acquire(location, holder, options)
    : acquireFileLease(location, holder);
}

function leaseHeld(location: string, holder: string, extra: Record<string, unknown> = {}): TachyonError {
  const registry = describeRegistryLocation(location);
  return new TachyonError(
    'TCH_ERR_DAEMON_LEASE_HELD',
    `Another deployment daemon ("${holder}") controls registry "${registry}"; stop it first, or point this workspace at another registry.`,
    {
      details: { registry, holder, ...extra },
    },
  );
}

async function acquireFileLease(file: string, holder: string): Promise<RegistryLease> {
  const lock = `${file}.controller.lock`;
  const body = `${JSON.stringify({ holder, host: hostname(), pid: process.pid, since: new Date().toISOString() })}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lock, body, { flag: 'wx', mode: 0o600 });
      let held = true;
      return {
        holder,
        get held() {
          return held;
        },
        async release() {
          if (!held) return;
          held = false;
          await rm(lock, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let current: { holder?: string; host?: string; pid?: number } = {};
    try {
      current = JSON.parse(readFileSync(lock, 'utf8')) as typeof current;
    } catch {
      // unreadable or half-written: treat as stale only if it stays so (the second attempt below)
    }
    const alive =
      current.host !== hostname() ||
      (typeof current.pid === 'number' && (current.pid === process.pid || isProcessAlive(current.pid)));
    if (alive && current.holder !== undefined) throw leaseHeld(file, current.holder, { lock });
    await rm(lock, { force: true });
  }
  throw leaseHeld(file, 'unknown', { lock });
}

type PgClient = import('pg').Client;

class PostgresLease implements RegistryLease {
  #client: PgClient | undefined;
  #held = true;
  #released = false;
  #timer: NodeJS.Timeout | undefined;
  #checking = false;

  private constructor(
    readonly location: string,
    readonly holder: string,
    private readonly options: RegistryLeaseOptions,
    client: PgClient,
  ) {
    this.#attach(client);
    this.#timer = setInterval(() => void this.#tick(), options.checkIntervalMs ?? 1000);
    this.#timer.unref();
  }

  static async acquire(location: string, holder: string, options: RegistryLeaseOptions): Promise<PostgresLease> {
    const client = await PostgresLease.#lock(location, holder, options);
    return new PostgresLease(location, holder, options, client);
  }

  /** A new connection holding the lock, or TCH_ERR_DAEMON_LEASE_HELD naming who holds it. */
  static async #lock(location: string, holder: string, options: RegistryLeaseOptions): Promise<PgClient> {
    const { default: pg } = await import('pg');
    const client = new pg.Client({
      connectionString: location,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // application_name is how another daemon learns who holds the lease (63 bytes at most).
      application_name: `tachyon-daemon ${holder}`.slice(0, 63),
      keepAlive: true,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [...LEASE_KEY]);
      if (rows[0]?.ok === true) return client;
      const who = await client.query<{ name: string; addr: string | null; since: Date | null }>(
        `SELECT a.application_name AS name, a.client_addr::text AS addr, a.backend_start AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
        [...LEASE_KEY],
      );
      const row = who.rows[0];
      const name = row?.name.replace(/^tachyon-daemon /, '') || 'unknown';
      throw leaseHeld(location, name, {
        ...(row?.since ? { since: row.since.toISOString() } : {}),
        ...(row?.addr ? { clientAddr: row.addr } : {}),
      });
    } catch (error) {
      await client.end().catch(() => undefined);
      if (error instanceof TachyonError) throw error;
      throw new TachyonError(
        'TCH_ERR_REGISTRY_DATABASE_FAILED',
        `PostgreSQL registry "${describeRegistryLocation(location)}" failed to take the controller lease: ${(error as Error).message}.`,
        {
          details: { registry: describeRegistryLocation(location) },
          cause: error,
        },
      );
    }
  }

  get held(): boolean {
    return this.#held && !this.#released;
  }

  #attach(client: PgClient): void {
    this.#client = client;
    const onBroken = (error?: Error) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      void client.end().catch(() => undefined);
      this.#lose(error?.message ?? 'the connection ended');
    };
    client.on('error', onBroken);
    client.on('end', () => onBroken());
  }

  #lose(reason: string): void {
    if (!this.#held || this.#released) return;
    this.#held = false;
    this.options.onEvent?.({ type: 'lost', reason });
  }

  /** Held: a round trip proves the connection (and so the lock) is alive. Lost: try to take it again. */
  async #tick(): Promise<void> {
    if (this.#checking || this.#released) return;
    this.#checking = true;
    try {
      const client = this.#client;
      if (client !== undefined) {
        await client.query('SELECT 1').catch((error: Error) => {
          if (this.#client === client) {
            this.#client = undefined;
            void client.end().catch(() => undefined);
            this.#lose(error.message);
          }
        });
        return;
      }
      try {
        const fresh = await PostgresLease.#lock(this.location, this.holder, this.options);
        if (this.#released) {
          await fresh.end().catch(() => undefined);
          return;
        }
        this.#attach(fresh);
        this.#held = true;
        this.options.onEvent?.({ type: 'regained' });
      } catch (error) {
        if (error instanceof TachyonError && error.code === 'TCH_ERR_DAEMON_LEASE_HELD') {
          this.#released = true;
          clearInterval(this.#timer);
          this.options.onEvent?.({ type: 'taken', holder: String(error.details?.['holder']), error });
        }
        // unreachable still: the next tick tries again
      }
    } finally {
      this.#checking = false;
    }
  }

  async release(): Promise<void> {
    if (this.#released && this.#client === undefined) return;
    this.#released = true;
    clearInterval(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...LEASE_KEY]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
