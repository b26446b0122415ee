import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { Pool, PoolClient } from 'pg';
import { TachyonError } from '@tachyon-serve/protocol';
import type { BlobInfo, BlobStore, CopyProgress, StagedBlob, StagingInfo } from '../blob-store.js';
import { FsBlobStore, SHA256_HEX } from '../fs-blob-store.js';
import { checkPostgresUrl, redactPostgresUrl } from './connection-url.js';
import { databaseError } from './database-error.js';
import { openMigratedPool } from './open-migrated-pool.js';

/** lo_open modes (libpq's INV_WRITE / INV_READ). */
const INV_WRITE = 0x20000;
const INV_READ = 0x40000;
/** Bytes per lowrite/loread round trip. */
const CHUNK_BYTES = 256 * 1024;
/** Transaction-scoped advisory lock per blob while it is written or deleted (a key space of its own). */
const BLOB_WRITE_LOCK = 'SELECT pg_advisory_xact_lock(7312, hashtext($1))';

export interface PostgresBlobStoreOptions {
  /**
   * Local folder for staging copies (registration validates a file) and for the read-through cache that readers
   * wanting a path (onnxruntime, the dashboard) use; it is a cache, never the source of truth.
   * @default `$TACHYON_CACHE_DIR/pg-blobs/<hash of the URL>` (`~/.cache/tachyon/...`)
   */
  cacheDir?: string;
  /** @default 4 */
  maxConnections?: number;
}

/**
 * Content-addressed artifacts as PostgreSQL large objects, so one `postgres://` URL is a replica's whole state
 * (rows and artifacts). Writes stream the staged file in 256 KiB `lowrite` calls inside one transaction (a crash
 * leaves no row, and the half-written large object rolls back with it); reads stream `loread` calls and check the
 * sha256 and size at the end: a damaged blob fails the stream with TCH_ERR_REGISTRY_STORAGE_FAILED.
 */
export class PostgresBlobStore implements BlobStore {
  readonly location: string;
  readonly #pool: Pool;
  readonly #secrets: readonly string[];
  readonly #cache: FsBlobStore;
  #closed = false;

  private constructor(pool: Pool, location: string, secrets: readonly string[], cacheDir: string) {
    this.#pool = pool;
    this.location = location;
    this.#secrets = secrets;
    this.#cache = new FsBlobStore(cacheDir);
  }

  /** Connects, migrates the schema (the `blobs` table) and returns the store. */
  static async open(url: string, options: PostgresBlobStoreOptions = {}): Promise<PostgresBlobStore> {
    const { secrets } = checkPostgresUrl(url);
    const location = redactPostgresUrl(url);
    const cacheDir = options.cacheDir ?? defaultCacheDir(location);
    const pool = await openMigratedPool(
      {
        connectionString: url,
        max: options.maxConnections ?? 4,
        connectionTimeoutMillis: 10_000,
        application_name: 'tachyon-blobs',
      },
      location,
      'open the artifact store',
      secrets,
    );
    return new PostgresBlobStore(pool, location, secrets, cacheDir);
  }

  async stage(source: string, options: { onProgress?: CopyProgress } = {}): Promise<StagedBlob> {
    const staged = await this.#cache.stage(source, options);
    let settled = false;
    return {
      sha256: staged.sha256,
      size: staged.size,
      path: staged.path,
      commit: async () => {
        if (settled) throw new Error('the staged blob was already committed or discarded');
        settled = true;
        try {
          await this.#upload(staged.path, staged.sha256, staged.size);
        } catch (error) {
          await staged.discard();
          throw error;
        }
        // The local copy becomes the cache entry (a rename on the same file system).
        await staged.commit().catch(() => staged.discard());
      },
      discard: async () => {
        if (settled) return;
        settled = true;
        await staged.discard();
      },
    };
  }

  async put(source: string): Promise<{ sha256: string; size: number }> {
    const staged = await this.stage(source);
    await staged.commit();
    return { sha256: staged.sha256, size: staged.size };
  }

  /** Streams `path` into a new large object and inserts its row, unless the same bytes are already stored. */
  async #upload(path: string, sha256: string, size: number): Promise<void> {
    await this.#transaction('store an artifact', async (client) => {
      await client.query(BLOB_WRITE_LOCK, [sha256]);
      const existing = await client.query<{ size: string }>('SELECT size FROM blobs WHERE sha256 = $1', [sha256]);
      if (existing.rows[0] !== undefined && Number(existing.rows[0].size) === size) return;
      if (existing.rows[0] !== undefined) await this.#unlinkRow(client, sha256);
      const { rows } = await client.query<{ oid: number }>('SELECT lo_create(0) AS oid');
      const oid = rows[0]!.oid;
      const fd = (await client.query<{ fd: number }>('SELECT lo_open($1, $2) AS fd', [oid, INV_WRITE])).rows[0]!.fd;
      const hash = createHash('sha256');
      let written = 0;
      for await (const chunk of createReadStream(path, { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        await client.query('SELECT lowrite($1, $2)', [fd, chunk]);
        written += chunk.length;
      }
      if (hash.digest('hex') !== sha256 || written !== size)
        throw new Error(`the staged copy of "${sha256}" changed while it was stored`);
      await client.query('SELECT lo_close($1)', [fd]);
      await client.query('INSERT INTO blobs (sha256, oid, size) VALUES ($1, $2, $3)', [sha256, oid, size]);
    });
  }

  async has(sha256: string): Promise<boolean> {
    checkSha256(sha256);
    const { rows } = await this.#query('look up an artifact', 'SELECT 1 FROM blobs WHERE sha256 = $1', [sha256]);
    return rows.length > 0;
  }

  /** The blob's path in the local cache: valid once `ensureLocal` has resolved. */
  localPath(sha256: string): string {
    return this.#cache.localPath(sha256);
  }

  /** Copies the blob into the local cache (checked) when it is not there yet; returns its path. */
  async ensureLocal(sha256: string): Promise<string> {
    checkSha256(sha256);
    const { rows } = await this.#query<{ size: string }>(
      'look up an artifact',
      'SELECT size FROM blobs WHERE sha256 = $1',
      [sha256],
    );
    if (rows[0] === undefined) throw missing(sha256, this.location);
    const cached = (await this.#cache.list()).find((b) => b.sha256 === sha256);
    if (cached !== undefined && cached.size === Number(rows[0].size)) return this.#cache.localPath(sha256);
    await mkdir(this.#cache.root, { recursive: true });
    const tmp = join(this.#cache.root, `fetch-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
    try {
      // openRead checks the sha256 at the end: a damaged blob fails the pipeline and never reaches the cache.
      await pipeline(await this.openRead(sha256), createWriteStream(tmp));
      await this.#cache.put(tmp);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    return this.#cache.localPath(sha256);
  }

  /**
   * A stream of the blob's bytes, read in 256 KiB `loread` calls inside one read-only transaction on a dedicated
   * connection; at the end the sha256 and size are compared with the name and the row, and a mismatch fails the
   * stream with TCH_ERR_REGISTRY_STORAGE_FAILED.
   */
  async openRead(sha256: string): Promise<Readable> {
    checkSha256(sha256);
    this.#checkOpen();
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw databaseError(this.location, 'read an artifact', error, this.#secrets);
    }
    let fd: number;
    let size: number;
    try {
      await client.query('BEGIN READ ONLY');
      const { rows } = await client.query<{ oid: number; size: string }>(
        'SELECT oid, size FROM blobs WHERE sha256 = $1',
        [sha256],
      );
      if (rows[0] === undefined) throw missing(sha256, this.location);
      size = Number(rows[0].size);
      fd = (await client.query<{ fd: number }>('SELECT lo_open($1, $2) AS fd', [rows[0].oid, INV_READ])).rows[0]!.fd;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw databaseError(this.location, 'read an artifact', error, this.#secrets);
    }
    const hash = createHash('sha256');
    let read = 0;
    let released = false;
    const release = (broken: boolean) => {
      if (released) return;
      released = true;
      void client
        .query('ROLLBACK')
        .catch(() => undefined)
        .finally(() => client.release(broken ? true : undefined));
    };
    const location = this.location;
    const secrets = this.#secrets;
    return new Readable({
      highWaterMark: CHUNK_BYTES,
      async read() {
        try {
          const { rows } = await client.query<{ data: Buffer }>('SELECT loread($1, $2) AS data', [fd, CHUNK_BYTES]);
          const data = rows[0]!.data;
          if (data.length > 0) {
            hash.update(data);
            read += data.length;
            this.push(data);
            return;
          }
          const actual = hash.digest('hex');
          release(false);
          if (actual !== sha256 || read !== size) {
            this.destroy(
              new TachyonError(
                'TCH_ERR_REGISTRY_STORAGE_FAILED',
                `Blob "${sha256}" in the artifact store is damaged: its bytes no longer match its sha256 and size.`,
                {
                  details: { sha256, actual, size: read, expectedSize: size, store: location },
                },
              ),
            );
            return;
          }
          this.push(null);
        } catch (error) {
          release(true);
          this.destroy(databaseError(location, 'read an artifact', error, secrets));
        }
      },
      destroy(error, callback) {
        release(false);
        callback(error);
      },
    });
  }

  async delete(sha256: string): Promise<boolean> {
    checkSha256(sha256);
    const deleted = await this.#transaction('delete an artifact', async (client) => {
      await client.query(BLOB_WRITE_LOCK, [sha256]);
      return this.#unlinkRow(client, sha256);
    });
    await this.#cache.delete(sha256).catch(() => undefined);
    return deleted;
  }

  async #unlinkRow(client: PoolClient, sha256: string): Promise<boolean> {
    const { rows } = await client.query<{ oid: number }>('DELETE FROM blobs WHERE sha256 = $1 RETURNING oid', [sha256]);
    if (rows[0] === undefined) return false;
    await client.query('SELECT lo_unlink($1)', [rows[0].oid]);
    return true;
  }

  async list(): Promise<BlobInfo[]> {
    const { rows } = await this.#query<{ sha256: string; size: string; created_at: Date }>(
      'list artifacts',
      'SELECT sha256, size, created_at FROM blobs ORDER BY sha256 COLLATE "C"',
    );
    return rows.map((r) => ({ sha256: r.sha256, size: Number(r.size), mtimeMs: r.created_at.getTime() }));
  }

  /** Staging copies are local files (in the cache folder) until committed. */
  listStaging(): Promise<StagingInfo[]> {
    return this.#cache.listStaging();
  }

  deleteStaging(name: string): Promise<void> {
    return this.#cache.deleteStaging(name);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #query<R extends pg.QueryResultRow = pg.QueryResultRow>(action: string, sql: string, params: unknown[] = []) {
    this.#checkOpen();
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (error) {
      throw databaseError(this.location, action, error, this.#secrets);
    }
  }

  async #transaction<T>(action: string, body: (client: PoolClient) => Promise<T>): Promise<T> {
    this.#checkOpen();
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw databaseError(this.location, action, error, this.#secrets);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (error instanceof TachyonError) throw error;
      throw new TachyonError(
        'TCH_ERR_REGISTRY_STORAGE_FAILED',
        `The artifact store "${this.location}" failed to ${action}: ${(error as Error).message ?? String(error)}.`,
        {
          details: { store: this.location, action },
          cause: error,
        },
      );
    } finally {
      client.release(broken ? true : undefined);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new TypeError('The artifact store is closed.');
  }
}

function defaultCacheDir(location: string): string {
  const base = process.env['TACHYON_CACHE_DIR'] || join(homedir(), '.cache', 'tachyon');
  return join(base, 'pg-blobs', createHash('sha256').update(location).digest('hex').slice(0, 16));
}

function checkSha256(sha256: string): void {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    throw new RangeError(`sha256 must be 64 lowercase hex digits, got "${String(sha256)}".`);
}

function missing(sha256: string, store: string): TachyonError {
  return new TachyonError('TCH_ERR_REGISTRY_STORAGE_FAILED', `Blob "${sha256}" is missing from the artifact store.`, {
    details: { sha256, store },
  });
}
