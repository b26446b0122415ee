/**
 * core/registry — workspaces and the model registry: versioned models in an embedded SQLite database (or
 * PostgreSQL, by a `postgres://` URL; loaded only then), artifacts in a content-addressed blob store. See
 * docs/registry.md.
 *
 * ```ts
 * import { createWorkspace, locateWorkspaceConfig, openRegistry } from '@tachyon-serve/core';
 * await createWorkspace('./ws', { name: 'vision' });            // tachyon.json, .tachyon/admin.key, registry.db
 * const registry = await openRegistry(locateWorkspaceConfig('./ws'));
 * const v = await registry.register('model_def.zip', 'flowers', { tags: { stage: 'dev' } }); // v.version === 1
 * const latest = await registry.get('flowers');                 // or 'flowers:1'
 * await registry.download('flowers:1', './out.zip');
 * await registry.delete('flowers', 1);                          // TCH_ERR_REGISTRY_IN_USE while deployed
 * await registry.close();
 * ```
 */
export type {
  ArtifactKind,
  DeploymentInput,
  DeploymentRecord,
  DeploymentRef,
  ModelVersionRecord,
  NewModelVersion,
  PendingBlob,
  RegistryStore,
} from './registry-store.js';
export {
  localBlobPath,
  type BlobInfo,
  type BlobStore,
  type CopyProgress,
  type StagedBlob,
  type StagingInfo,
} from './blob-store.js';
export {
  MODEL_NAME_MAX_LENGTH,
  MODEL_NAME_PATTERN,
  formatModelRef,
  parseModelRef,
  parseTagAssignment,
  validateModelName,
  validateModelVersion,
  type ModelRef,
} from './model-ref.js';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
export type { OpenWritableFile, WritableFile } from './file-io.js';
export { SQLITE_MIGRATIONS, type SqliteMigration } from './sqlite/sqlite-migrations.js';
export {
  SqliteRegistryStore,
  createSqliteRegistryStore,
  type SqliteRegistryStoreOptions,
} from './sqlite/sqlite-registry-store.js';
export { validateArtifact, type ValidateArtifactOptions } from './validate-artifact.js';
export {
  RECOVERY_DEFAULTS,
  collectBlob,
  recoverRegistry,
  type RecoveryOptions,
  type RecoveryReport,
} from './recover-registry.js';
export {
  ModelRegistry,
  createModelRegistry,
  type DeleteOptions,
  type ModelRegistryOptions,
  type RegisterOptions,
} from './model-registry.js';
export { artifactFileName } from './download-blob.js';
export {
  createBlobStore,
  createRegistryStore,
  describeRegistryLocation,
  isPostgresLocation,
  openRegistry,
  type OpenRegistryOptions,
  type RegistryStoreOptions,
} from './open-registry.js';
export {
  ADMIN_KEY_FILE,
  adminKeyPath,
  createWorkspace,
  locateWorkspaceConfig,
  readAdminKey,
  type CreateWorkspaceOptions,
} from './workspace.js';
export {
  migrateWorkspaceRegistry,
  type MigrateWorkspaceRegistryResult,
} from './postgres/migrate-workspace-registry.js';
export type { PostgresBlobStoreOptions } from './postgres/postgres-blob-store.js';
export {
  acquireRegistryLease,
  type LeaseEvent,
  type RegistryLease,
  type RegistryLeaseOptions,
} from './registry-lease.js';
