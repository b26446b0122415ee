import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';

export const WORKSPACE_CONFIG_FILE = 'tachyon.json';

/** tachyon.json as written by users; every field optional. Paths are relative to the file's folder. */
export interface WorkspaceConfigFile {
  name?: string;
  /** SQLite file or postgres:// URL. @default 'registry.db' */
  registry?: string;
  /** @default 'artifacts' */
  artifacts?: string;
  /** Mirror folders searched for zoo models. @default [] */
  modelPath?: string[];
  /** Zoo id or .onnx file used when no model is named. @default 'resnet50-int8' */
  defaultModel?: string;
  server?: Record<string, unknown>;
}

export interface WorkspaceConfig {
  /** The tachyon.json this came from, or undefined for the built-in defaults. */
  readonly file: string | undefined;
  readonly root: string;
  readonly name: string;
  readonly registry: string;
  readonly artifacts: string;
  readonly modelPath: readonly string[];
  readonly defaultModel: string;
  readonly server: Readonly<Record<string, unknown>>;
}

export const BUILTIN_DEFAULT_MODEL = 'resnet50-int8';

/** tachyon.json in `start` or the nearest folder above it, or undefined. */
export function findWorkspaceConfig(start: string = process.cwd()): string | undefined {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, WORKSPACE_CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Reads and validates a tachyon.json (a file, or a folder holding one); `undefined` gives the built-in defaults. */
export function loadWorkspaceConfig(path: string | undefined, cwd: string = process.cwd()): WorkspaceConfig {
  if (path === undefined) return compileWorkspaceConfig({}, undefined, cwd);
  const file = path.endsWith('.json') ? resolve(path) : join(resolve(path), WORKSPACE_CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new TachyonError(
      missing ? 'TCH_ERR_IO_NOT_FOUND' : 'TCH_ERR_CONFIG_INVALID',
      missing ? `Workspace config "${file}" does not exist.` : `Workspace config "${file}" is not valid JSON.`,
      { details: { file }, cause },
    );
  }
  return compileWorkspaceConfig(raw, file, dirname(file));
}

function compileWorkspaceConfig(raw: unknown, file: string | undefined, root: string): WorkspaceConfig {
  const issues: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) issues.push('the top level must be an object');
  const input = (issues.length === 0 ? raw : {}) as Record<string, unknown>;
  const str = (key: string, fallback: string): string => {
    const value = input[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value === '') issues.push(`"${key}" must be a non-empty string`);
    return typeof value === 'string' ? value : fallback;
  };
  const modelPath = input['modelPath'] ?? [];
  if (!Array.isArray(modelPath) || !modelPath.every((p) => typeof p === 'string'))
    issues.push('"modelPath" must be an array of strings');
  const server = input['server'] ?? {};
  if (typeof server !== 'object' || server === null || Array.isArray(server)) issues.push('"server" must be an object');
  const name = str('name', 'default');
  const registry = str('registry', 'registry.db');
  const artifacts = str('artifacts', 'artifacts');
  const defaultModel = str('defaultModel', BUILTIN_DEFAULT_MODEL);
  if (issues.length > 0) {
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Workspace config "${file}" is invalid: ${issues.join('; ')}.`, {
      details: { file, issues },
    });
  }
  const inRoot = (p: string) =>
    isAbsolute(p) || p.startsWith('postgres://') || p.startsWith('postgresql://') ? p : join(root, p);
  return deepFreeze({
    file,
    root,
    name,
    registry: inRoot(registry),
    artifacts: inRoot(artifacts),
    modelPath: (modelPath as string[]).map(inRoot),
    // A model file named in the config is relative to it; a zoo id is kept as it is.
    defaultModel: defaultModel.endsWith('.onnx') ? inRoot(defaultModel) : defaultModel,
    server: server as Record<string, unknown>,
  });
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
