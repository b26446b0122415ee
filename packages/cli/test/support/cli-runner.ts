import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../../', import.meta.url)));
export const BIN = join(REPO_ROOT, 'packages', 'cli', 'bin', 'tachyon.js');
/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export const SHARED = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
export const SHARED_MODELS = join(SHARED, 'models');
export const sampleImage = (name: string): string => join(SHARED, 'images', 'imagenet-sample', name);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in `cwd` with a cache of its own (`<cwd>/cache`) and no TACHYON_MODEL_PATH from the caller;
 * `mirrors: true` adds `--model-path ../shared/models`.
 */
export function runTachyon(args: readonly string[], cwd: string, options: { mirrors?: boolean } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, TACHYON_CACHE_DIR: join(cwd, 'cache') };
  delete env['TACHYON_MODEL_PATH'];
  const globals = options.mirrors ? ['--model-path', SHARED_MODELS] : [];
  const r = spawnSync(process.execPath, [BIN, ...globals, ...args], { cwd, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
