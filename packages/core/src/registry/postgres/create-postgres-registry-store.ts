import pg from 'pg';
import type { RegistryStore } from '../registry-store.js';
import { checkPostgresUrl, redactPostgresUrl } from './connection-url.js';
import { databaseError } from './database-error.js';
import { migratePostgresSchema } from './migrations.js';
import { PostgresRegistryStore } from './postgres-registry-store.js';
import { compilePostgresStoreOptions, type PostgresRegistryStoreOptions } from './postgres-store-options.js';

/**
 * Connects to the PostgreSQL database named by `url` (`postgres://user[:password]@host[:port]/db`, or a Unix
 * socket folder as `postgres://user@/db?host=/run/postgresql`), brings its schema up to date and returns the store.
 * Fails with TCH_ERR_REGISTRY_DATABASE_FAILED when the server cannot be reached, authentication fails or the
 * schema cannot be migrated; messages carry the URL without its password.
 */
export async function createPostgresRegistryStore(
  url: string,
  options: PostgresRegistryStoreOptions = {},
): Promise<RegistryStore> {
  const { secrets } = checkPostgresUrl(url);
  const config = compilePostgresStoreOptions(options);
  const registry = redactPostgresUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: config.maxConnections,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: config.idleTimeoutMs,
    application_name: config.applicationName,
  });
  // An idle connection dropped by the server emits here; without a listener it would crash the process. The next
  // query gets a fresh connection or reports the failure itself.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      await migratePostgresSchema(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw databaseError(registry, 'open', error, secrets);
  }
  return new PostgresRegistryStore(pool, registry, secrets);
}
