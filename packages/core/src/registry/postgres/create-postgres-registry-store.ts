import type { RegistryStore } from '../registry-store.js';
import { checkPostgresUrl, redactPostgresUrl } from './connection-url.js';
import { openMigratedPool } from './open-migrated-pool.js';
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
  const pool = await openMigratedPool(
    {
      connectionString: url,
      max: config.maxConnections,
      connectionTimeoutMillis: config.connectTimeoutMs,
      idleTimeoutMillis: config.idleTimeoutMs,
      application_name: config.applicationName,
    },
    registry,
    'open',
    secrets,
  );
  return new PostgresRegistryStore(pool, registry, secrets);
}
