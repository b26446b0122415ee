import { TachyonError } from '@tachyon-serve/protocol';
import type { WorkspaceConfig } from '../config/workspace-config.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
import { createModelRegistry, type ModelRegistry, type ModelRegistryOptions } from './model-registry.js';
import { redactPostgresUrl } from './postgres/connection-url.js';
import type { RegistryStore } from './registry-store.js';
import { createSqliteRegistryStore, type SqliteRegistryStoreOptions } from './sqlite/sqlite-registry-store.js';

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export interface RegistryStoreOptions {
  /** Options of the embedded store. @default {} */
  sqlite?: SqliteRegistryStoreOptions;
}

export function isPostgresLocation(location: string): boolean {
  return POSTGRES_URL.test(location);
}

/** A registry location safe to print: a PostgreSQL URL loses its password; a file path is kept. */
export function describeRegistryLocation(location: string): string {
  return isPostgresLocation(location) ? redactPostgresUrl(location) : location;
}

/**
 * The store named by a workspace's `registry` field: a `postgres://` URL opens the PostgreSQL store (the `pg`
 * driver loads only then), anything else is a SQLite file (created, with its schema, when missing).
 */
export async function createRegistryStore(
  location: string,
  options: RegistryStoreOptions = {},
): Promise<RegistryStore> {
  if (typeof location !== 'string' || location === '') throw new TypeError('location must be a non-empty string.');
  if (!isPostgresLocation(location)) return createSqliteRegistryStore(location, options.sqlite);
  let postgres: typeof import('./postgres/index.js');
  try {
    postgres = await import('./postgres/index.js');
  } catch (cause) {
    throw new TachyonError(
      'TCH_ERR_REGISTRY_DATABASE_FAILED',
      'PostgreSQL support is not available in this build (its module or the "pg" driver failed to load).',
      { cause },
    );
  }
  return postgres.createPostgresRegistryStore(location);
}

export interface OpenRegistryOptions extends ModelRegistryOptions, RegistryStoreOptions {
  /** Options of the artifact store in a folder. @default {} */
  blobs?: FsBlobStoreOptions;
  /** Options of the artifact store in PostgreSQL (`artifacts` is a `postgres://` URL). @default {} */
  postgresBlobs?: import('./postgres/postgres-blob-store.js').PostgresBlobStoreOptions;
}

/**
 * The artifact store a workspace's `artifacts` field names: a folder (`<artifacts>/blobs`) or a `postgres://` URL
 * (large objects in that database: usually the registry's own URL, so one URL is the whole state).
 */
export async function createBlobStore(
  artifacts: string,
  options: {
    blobs?: FsBlobStoreOptions;
    postgresBlobs?: import('./postgres/postgres-blob-store.js').PostgresBlobStoreOptions;
  } = {},
): Promise<BlobStore> {
  if (typeof artifacts !== 'string' || artifacts === '') throw new TypeError('artifacts must be a non-empty string.');
  if (!isPostgresLocation(artifacts)) return new FsBlobStore(artifacts, options.blobs);
  let postgres: typeof import('./postgres/postgres-blob-store.js');
  try {
    postgres = await import('./postgres/postgres-blob-store.js');
  } catch (cause) {
    throw new TachyonError(
      'TCH_ERR_REGISTRY_DATABASE_FAILED',
      'PostgreSQL support is not available in this build (its module or the "pg" driver failed to load).',
      { cause },
    );
  }
  return postgres.PostgresBlobStore.open(artifacts, options.postgresBlobs);
}

/** The model registry of a workspace: its registry store and artifact store, crash recovery done. */
export async function openRegistry(config: WorkspaceConfig, options: OpenRegistryOptions = {}): Promise<ModelRegistry> {
  if (typeof config !== 'object' || config === null || typeof config.registry !== 'string')
    throw new TypeError('config must be a WorkspaceConfig.');
  const store = await createRegistryStore(config.registry, options);
  let blobs: BlobStore | undefined;
  try {
    blobs = await createBlobStore(config.artifacts, options);
    return await createModelRegistry(store, blobs, options);
  } catch (error) {
    await store.close().catch(() => undefined);
    await blobs?.close?.().catch(() => undefined);
    throw error;
  }
}
