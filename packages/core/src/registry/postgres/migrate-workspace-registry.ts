import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { TachyonError } from '@tachyon-serve/protocol';
import type { WorkspaceConfig } from '../../config/workspace-config.js';
import { storageError, syncDirectory } from '../file-io.js';
import { createRegistryStore } from '../open-registry.js';
import { checkPostgresUrl, isPostgresUrl, redactPostgresUrl } from './connection-url.js';
import { FsBlobStore, missingBlob } from '../fs-blob-store.js';
import type { DeploymentRecord } from '../registry-store.js';
import type { RegistryExport } from './import-rows.js';
import { PostgresBlobStore } from './postgres-blob-store.js';

export interface MigrateWorkspaceRegistryResult {
  /** The workspace's tachyon.json, now naming the PostgreSQL registry. */
  readonly configFile: string;
  /** Its previous content. */
  readonly backupFile: string;
  /** The SQLite file the rows came from (left in place, unchanged). */
  readonly from: string;
  /** The target URL without credentials. */
  readonly to: string;
  readonly names: number;
  readonly versions: number;
  readonly deployments: number;
  /** Deployment rows (the controller's desired state) copied. */
  readonly deploymentRows: number;
  /** Distinct artifacts copied into PostgreSQL large objects (0 with `keepArtifacts`). */
  readonly artifacts: number;
  /** Where artifacts live now: the target URL without credentials, or the artifact folder when kept. */
  readonly artifactStore: string;
  /** Whether the URL written to tachyon.json carries a password (PGPASSWORD or ~/.pgpass keep it out). */
  readonly passwordInConfig: boolean;
}

/**
 * Moves a workspace's embedded SQLite registry into an EMPTY PostgreSQL database (`tachyon workspace migrate`):
 * export every row, import it in one transaction, read everything back and compare, check that nothing was
 * registered meanwhile, then point tachyon.json's `registry` at the URL (atomic rename, previous file kept as
 * tachyon.json.bak). Artifacts move into PostgreSQL large objects too (tachyon.json's `artifacts` becomes the same
 * URL) unless `keepArtifacts`; deployment rows move with their generation and state; version numbers, created times, tags, deployment refs
 * and each name's next version carry over. Nothing in tachyon.json changes unless every step succeeded.
 */
export interface MigrateWorkspaceRegistryOptions {
  /** Leave artifacts in the artifact folder (only the rows move). @default false: they move into PostgreSQL too */
  keepArtifacts?: boolean;
}

export async function migrateWorkspaceRegistry(
  config: WorkspaceConfig,
  to: string,
  options: MigrateWorkspaceRegistryOptions = {},
): Promise<MigrateWorkspaceRegistryResult> {
  if (typeof config !== 'object' || config === null || typeof config.registry !== 'string')
    throw new TypeError('config must be a WorkspaceConfig.');
  if (config.file === undefined)
    throw new TypeError('config must come from a tachyon.json file (config.file is undefined).');
  const { secrets } = checkPostgresUrl(to);
  const target = redactPostgresUrl(to);
  if (isPostgresUrl(config.registry)) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Workspace "${config.name}" already uses a PostgreSQL registry ("${redactPostgresUrl(config.registry)}"); migrate moves an embedded SQLite registry.`,
      {
        details: { file: config.file },
      },
    );
  }
  if (!existsSync(config.registry)) {
    throw new TachyonError(
      'TCH_ERR_IO_NOT_FOUND',
      `Registry database "${config.registry}" of workspace "${config.name}" does not exist.`,
      { details: { registry: config.registry } },
    );
  }

  const moveArtifacts = options.keepArtifacts !== true;
  const source = await createRegistryStore(config.registry);
  let exported: RegistryExport;
  let deploymentRows: DeploymentRecord[];
  let artifacts = 0;
  try {
    exported = await source.exportAll();
    deploymentRows = await source.listDeployments();
    const destination = await createRegistryStore(to);
    try {
      if (moveArtifacts) {
        // Blobs first: once the rows are there, every version's bytes must be readable from the database.
        artifacts = await copyArtifacts(config.artifacts, to, exported);
      }
      await destination.importAll(exported);
      if (deploymentRows.length > 0) {
        if (destination.importDeployments === undefined)
          throw mismatch(target, 'the target store cannot import deployment rows');
        await destination.importDeployments(deploymentRows);
      }
      const imported = await destination.exportAll();
      const difference = firstDifference(normalize(exported), normalize(imported));
      if (difference !== undefined) throw mismatch(target, `${difference} differs after the import`);
      const importedRows = await destination.listDeployments();
      if (!isDeepStrictEqual(deploymentRows.map(comparableDeployment), importedRows.map(comparableDeployment)))
        throw mismatch(target, 'the deployment rows differ after the import');
    } finally {
      await destination.close();
    }
    // A registration into SQLite during the copy would be lost once tachyon.json points elsewhere.
    const after = await source.exportAll();
    const afterRows = await source.listDeployments();
    if (
      firstDifference(normalize(exported), normalize(after)) !== undefined ||
      !isDeepStrictEqual(deploymentRows.map(comparableDeployment), afterRows.map(comparableDeployment))
    ) {
      throw mismatch(
        target,
        'the SQLite registry changed during the migration (stop servers and other tachyon commands, empty the target database and run it again)',
      );
    }
  } finally {
    await source.close();
  }

  const backupFile = `${config.file}.bak`;
  await rewriteRegistryField(config.file, backupFile, to, moveArtifacts);
  return Object.freeze({
    configFile: config.file,
    backupFile,
    from: config.registry,
    to: target,
    names: Object.keys(exported.nextVersions).length,
    versions: exported.versions.length,
    deployments: exported.deployments.length,
    deploymentRows: deploymentRows.length,
    artifacts,
    artifactStore: moveArtifacts ? target : config.artifacts,
    passwordInConfig: secrets.length > 0,
  });
}

/**
 * Copies every distinct artifact the versions use from the artifact folder into PostgreSQL large objects (the
 * same bytes are stored once; a blob already there is kept), checking each one's sha256 on the way.
 */
async function copyArtifacts(folder: string, url: string, data: RegistryExport): Promise<number> {
  const fs = new FsBlobStore(folder);
  const pgBlobs = await PostgresBlobStore.open(url);
  try {
    const wanted = [...new Set(data.versions.map((v) => v.sha256))];
    for (const sha256 of wanted) {
      const stored = await pgBlobs.put(fs.localPath(sha256)).catch((cause: unknown) => {
        throw cause instanceof TachyonError && cause.code !== 'TCH_ERR_IO_NOT_FOUND'
          ? cause
          : missingBlob(sha256, fs.localPath(sha256), cause);
      });
      if (stored.sha256 !== sha256) {
        throw new TachyonError(
          'TCH_ERR_REGISTRY_STORAGE_FAILED',
          `The stored artifact "${sha256}" is damaged: its bytes no longer match its sha256; nothing was migrated.`,
          {
            details: { sha256, actual: stored.sha256 },
          },
        );
      }
    }
    return wanted.length;
  } finally {
    await pgBlobs.close();
  }
}

/** A deployment row without its updated time's sub-millisecond noise. */
function comparableDeployment(d: DeploymentRecord): unknown {
  return { ...d, createdAt: new Date(d.createdAt).toISOString(), updatedAt: new Date(d.updatedAt).toISOString() };
}

/** Both stores' exports in one comparable form (created times as ISO with milliseconds; counters at least max+1). */
function normalize(data: RegistryExport): RegistryExport {
  const next: Record<string, number> = { ...data.nextVersions };
  for (const v of data.versions) next[v.name] = Math.max(next[v.name] ?? 1, v.version + 1);
  return {
    versions: data.versions.map((v) => ({
      ...v,
      tags: { ...v.tags },
      properties: { ...v.properties },
      createdAt: new Date(v.createdAt).toISOString(),
    })),
    deployments: data.deployments.map((d) => ({ ...d })),
    nextVersions: next,
  };
}

function firstDifference(a: RegistryExport, b: RegistryExport): string | undefined {
  for (const key of ['versions', 'deployments'] as const) {
    if (a[key].length !== b[key].length) return `the number of ${key} (${a[key].length} vs ${b[key].length})`;
    const index = a[key].findIndex((row, i) => !isDeepStrictEqual(row, b[key][i]));
    if (index !== -1) return `${key} row ${index}`;
  }
  const names = new Set([...Object.keys(a.nextVersions), ...Object.keys(b.nextVersions)]);
  for (const name of names) if (a.nextVersions[name] !== b.nextVersions[name]) return `the next version of "${name}"`;
  return undefined;
}

function mismatch(target: string, what: string): TachyonError {
  return new TachyonError(
    'TCH_ERR_REGISTRY_DATABASE_FAILED',
    `Migration to "${target}" stopped: ${what}; tachyon.json was not changed.`,
    { details: { to: target } },
  );
}

/** Sets `registry` in tachyon.json, keeping every other field: backup copy, then temp file + fsync + rename. */
async function rewriteRegistryField(file: string, backupFile: string, url: string, artifacts: boolean): Promise<void> {
  try {
    const text = await readFile(file, 'utf8');
    const json = JSON.parse(text) as Record<string, unknown>;
    json['registry'] = url;
    if (artifacts) json['artifacts'] = url;
    const indent = /^\{\s*\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
    const { mode } = await stat(file);
    await copyFile(file, backupFile);
    const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
    try {
      const handle = await open(temp, 'wx', mode & 0o777);
      try {
        await handle.writeFile(`${JSON.stringify(json, null, indent)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    await syncDirectory(dirname(file));
  } catch (cause) {
    throw storageError('rewrite the registry field of', file, cause);
  }
}
