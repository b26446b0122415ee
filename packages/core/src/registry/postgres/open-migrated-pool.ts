import pg from 'pg';
import { databaseError } from './database-error.js';
import { migratePostgresSchema } from './migrations.js';

/**
 * A pool on `config.connectionString` whose schema is brought up to date first; on any failure the pool is ended and
 * TCH_ERR_REGISTRY_DATABASE_FAILED names `location` (the URL without its password) and what was being done.
 */
export async function openMigratedPool(
  config: pg.PoolConfig,
  location: string,
  action: string,
  secrets: readonly string[],
): Promise<pg.Pool> {
  const pool = new pg.Pool(config);
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
    throw databaseError(location, action, error, secrets);
  }
  return pool;
}
