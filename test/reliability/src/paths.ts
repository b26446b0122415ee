// Where the suite finds the repository, the CLI and the shared models and images (never a hard-coded absolute path).
import { join } from 'node:path';
import { CLI_BIN, ORANGE, REPO_ROOT, sampleImage, sharedDir, sharedModelsDir } from '@tachyon-serve/test-support';

export { CLI_BIN, ORANGE, REPO_ROOT, sampleImage, sharedDir };
/** The test-only preload that lets the suite make a session worker exit (see fault-preload.ts). */
export const FAULT_PRELOAD = new URL('./fault-preload.js', import.meta.url).href;

export const sharedModels = sharedModelsDir;

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}
