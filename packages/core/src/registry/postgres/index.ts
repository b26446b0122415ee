/**
 * The model registry in PostgreSQL, for teams that outgrow one machine: the same RegistryStore as the embedded
 * SQLite one, selected by a `postgres://` URL in tachyon.json's `registry` field.
 *
 * ```ts
 * import { createPostgresRegistryStore } from '@tachyon-serve/core';
 * const store = await createPostgresRegistryStore('postgres://tachyon@db.internal/tachyon'); // migrates the schema
 * const v = await store.insertVersion({ name: 'cats', sha256, size, kind: 'service-definition' }); // v.version === 1
 * await store.close();
 * ```
 */
export { createPostgresRegistryStore } from './create-postgres-registry-store.js';
export { PostgresRegistryStore } from './postgres-registry-store.js';
export { isPostgresUrl, redactPostgresUrl } from './connection-url.js';
export { POSTGRES_MIGRATIONS, migratePostgresSchema, type PostgresMigration } from './migrations.js';
export {
  POSTGRES_STORE_DEFAULTS,
  compilePostgresStoreOptions,
  type PostgresRegistryStoreConfig,
  type PostgresRegistryStoreOptions,
} from './postgres-store-options.js';
export type { RegistryExport } from './import-rows.js';
