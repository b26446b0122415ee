import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLI_BIN, REPO_ROOT, sampleImagePath, sharedDir } from '@tachyon-serve/test-support';

export { REPO_ROOT };
export const BIN = CLI_BIN;
/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export const SHARED = sharedDir();
export const SHARED_MODELS = join(SHARED, 'models');
export const sampleImage = sampleImagePath;

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
