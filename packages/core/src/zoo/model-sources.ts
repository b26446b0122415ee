import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Where zoo models are looked for, in order: the cache, the mirror folders, then the entry's URL. */
export interface ModelSourcesOptions {
  /** Download cache. @default $TACHYON_CACHE_DIR, else ~/.cache/tachyon */
  cacheDir?: string;
  /** Mirror folders (flag). When absent: $TACHYON_MODEL_PATH, else `workspaceModelPath`. */
  modelPath?: readonly string[];
  /** `modelPath` of tachyon.json, used when neither the flag nor the environment names mirrors. @default [] */
  workspaceModelPath?: readonly string[];
  /** Allow downloads from the entry's URL. @default true */
  allowDownload?: boolean;
  /** Download attempts per URL, resuming each time from what was received. @default 3 */
  retries?: number;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Environment to read TACHYON_* from. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface DownloadProgress {
  id: string;
  received: number;
  total: number;
}

export interface ModelSources {
  readonly cacheDir: string;
  readonly modelPath: readonly string[];
  readonly allowDownload: boolean;
  readonly retries: number;
  readonly onProgress: ((progress: DownloadProgress) => void) | undefined;
}

export function compileModelSources(options: ModelSourcesOptions = {}): ModelSources {
  const env = options.env ?? process.env;
  const envPath = env['TACHYON_MODEL_PATH']?.split(delimiter).filter((p) => p !== '');
  const modelPath =
    options.modelPath ?? (envPath && envPath.length > 0 ? envPath : undefined) ?? options.workspaceModelPath ?? [];
  const retries = options.retries ?? 3;
  if (!Number.isInteger(retries) || retries < 1) throw new RangeError('retries: expected an integer >= 1');
  return Object.freeze({
    cacheDir: resolve(options.cacheDir ?? env['TACHYON_CACHE_DIR'] ?? join(homedir(), '.cache', 'tachyon')),
    modelPath: Object.freeze(modelPath.map((p) => resolve(p))),
    allowDownload: options.allowDownload ?? true,
    retries,
    onProgress: options.onProgress,
  });
}
