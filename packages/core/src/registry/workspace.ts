import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, link, mkdir, readFile, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import {
  BUILTIN_DEFAULT_MODEL,
  WORKSPACE_CONFIG_FILE,
  findWorkspaceConfig,
  loadWorkspaceConfig,
  type WorkspaceConfig,
  type WorkspaceConfigFile,
} from '../config/workspace-config.js';
import { storageError } from './file-io.js';
import { createRegistryStore, isPostgresLocation } from './open-registry.js';

/** The workspace's admin key, relative to its folder: 32 random bytes, base64url, mode 0600. Never in tachyon.json. */
export const ADMIN_KEY_FILE = join('.tachyon', 'admin.key');

export interface CreateWorkspaceOptions {
  /** @default the folder's name */
  name?: string;
  /** SQLite file (relative to the folder) or `postgres://` URL. @default 'registry.db' */
  registry?: string;
  /** Artifact folder (relative to the folder), or a `postgres://` URL (large objects; usually the registry's URL). @default 'artifacts' */
  artifacts?: string;
}

const WORKSPACE_DEFAULTS = Object.freeze({ registry: 'registry.db', artifacts: 'artifacts' });

/**
 * Creates a workspace in `dir` (made if missing): the admin key, the artifact folder, the registry (schema
 * migrated, so a bad URL fails now) and, last, tachyon.json. Refuses a folder that already holds a workspace
 * (TCH_ERR_WORKSPACE_EXISTS); on failure everything it made is removed again.
 */
export async function createWorkspace(dir: string, options: CreateWorkspaceOptions = {}): Promise<WorkspaceConfig> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('dir must be a non-empty string.');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object.');
  const root = resolve(dir);
  const name = options.name ?? basename(root);
  checkText(name, 'options.name');
  const registry = options.registry ?? WORKSPACE_DEFAULTS.registry;
  const artifacts = options.artifacts ?? WORKSPACE_DEFAULTS.artifacts;
  checkText(registry, 'options.registry');
  checkText(artifacts, 'options.artifacts');

  const configFile = join(root, WORKSPACE_CONFIG_FILE);
  const keyFile = join(root, ADMIN_KEY_FILE);
  for (const existing of [configFile, keyFile]) {
    if (existsSync(existing)) {
      throw new TachyonError(
        'TCH_ERR_WORKSPACE_EXISTS',
        `Folder "${root}" already holds a workspace ("${existing}" exists).`,
        { details: { dir: root, file: existing } },
      );
    }
  }
  const undo: (() => Promise<unknown>)[] = [];
  try {
    if (!existsSync(root)) undo.push(() => rmdir(root));
    await mkdir(root, { recursive: true }).catch((cause) => {
      throw storageError('create the workspace folder', root, cause);
    });
    await writeAdminKey(root, undo);

    // A postgres:// URL keeps artifacts as large objects in that database: no folder to make.
    if (!isPostgresLocation(artifacts)) {
      const artifactsDir = isAbsolute(artifacts) ? artifacts : join(root, artifacts);
      if (!existsSync(artifactsDir)) undo.push(() => rmdir(artifactsDir));
      await mkdir(artifactsDir, { recursive: true }).catch((cause) => {
        throw storageError('create the artifact folder', artifactsDir, cause);
      });
    }

    const location = isPostgresLocation(registry) || isAbsolute(registry) ? registry : join(root, registry);
    if (!isPostgresLocation(location) && !existsSync(location)) {
      undo.push(() => Promise.all(['', '-wal', '-shm'].map((suffix) => rm(`${location}${suffix}`, { force: true }))));
    }
    const store = await createRegistryStore(location);
    await store.close();

    const file: WorkspaceConfigFile = {
      name,
      registry,
      artifacts,
      modelPath: [],
      defaultModel: BUILTIN_DEFAULT_MODEL,
      server: {},
    };
    await writeExclusive(configFile, `${JSON.stringify(file, null, 2)}\n`, root);
  } catch (error) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
  return loadWorkspaceConfig(configFile);
}

async function writeAdminKey(root: string, undo: (() => Promise<unknown>)[]): Promise<void> {
  const dir = join(root, '.tachyon');
  if (!existsSync(dir)) undo.push(() => rmdir(dir));
  const file = join(root, ADMIN_KEY_FILE);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
    undo.push(() => unlink(file));
    // The mode of a new file is masked by the umask; the key must not be readable by anyone else whatever it is.
    await chmod(file, 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TachyonError(
        'TCH_ERR_WORKSPACE_EXISTS',
        `Folder "${root}" already holds a workspace ("${file}" exists).`,
        { details: { dir: root, file } },
      );
    }
    throw storageError('write the admin key', file, cause);
  }
}

/** Writes `text` to `file` only if it does not exist (a racing `workspace create` loses cleanly), all or nothing. */
async function writeExclusive(file: string, text: string, root: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await writeFile(temp, text, { flag: 'wx' });
    await link(temp, file);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TachyonError(
        'TCH_ERR_WORKSPACE_EXISTS',
        `Folder "${root}" already holds a workspace ("${file}" exists).`,
        { details: { dir: root, file } },
      );
    }
    throw storageError('write', file, cause);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/**
 * The workspace config of `path` (tachyon.json, or the folder holding it) or, without `path`, the tachyon.json
 * found from `cwd` upward; TCH_ERR_WORKSPACE_NOT_FOUND when there is none.
 */
export function locateWorkspaceConfig(path?: string, cwd: string = process.cwd()): WorkspaceConfig {
  if (path !== undefined && (typeof path !== 'string' || path === ''))
    throw new TypeError('path must be a non-empty string.');
  let file: string | undefined;
  if (path === undefined) {
    file = findWorkspaceConfig(cwd);
    if (file === undefined) {
      throw new TachyonError(
        'TCH_ERR_WORKSPACE_NOT_FOUND',
        `No ${WORKSPACE_CONFIG_FILE} in "${resolve(cwd)}" or any folder above it; create one with \`tachyon workspace create DIR\`.`,
        {
          details: { cwd: resolve(cwd) },
        },
      );
    }
  } else {
    const full = resolve(cwd, path);
    file = full.endsWith('.json') ? full : join(full, WORKSPACE_CONFIG_FILE);
    if (!existsSync(file)) {
      throw new TachyonError('TCH_ERR_WORKSPACE_NOT_FOUND', `No workspace config at "${file}".`, { details: { file } });
    }
  }
  return loadWorkspaceConfig(file);
}

export function adminKeyPath(config: WorkspaceConfig): string {
  return join(config.root, ADMIN_KEY_FILE);
}

/** The workspace's admin key (never log it). TCH_ERR_IO_NOT_FOUND when the workspace was not made by `createWorkspace`. */
export async function readAdminKey(config: WorkspaceConfig): Promise<string> {
  const file = adminKeyPath(config);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new TachyonError(
      'TCH_ERR_IO_NOT_FOUND',
      `Workspace "${config.name}" has no readable admin key at "${file}" (\`tachyon workspace create\` writes one).`,
      {
        details: { file },
        cause,
      },
    );
  }
  const key = text.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(key)) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `The admin key file "${file}" does not hold a key (32 bytes, base64url).`,
      { details: { file } },
    );
  }
  return key;
}

function checkText(value: unknown, argument: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`${argument} must be a non-empty string.`);
  if (value.length > 4096 || /[\u0000-\u001f\u007f]/.test(value))
    throw new RangeError(`${argument} must be at most 4096 characters without control characters.`);
}
