import { delimiter } from 'node:path';
import type { ModelSources, WorkspaceConfig } from '@tachyon-serve/core';
import type { GlobalOptions } from './main.js';
import { createProgressPrinter } from './output.js';

export interface CliContext {
  workspace: WorkspaceConfig;
  sources: ModelSources;
}

/** Precedence everywhere: command-line flag > environment > tachyon.json > built-in. */
export async function createCliContext(globals: GlobalOptions): Promise<CliContext> {
  const { compileModelSources, findWorkspaceConfig, loadWorkspaceConfig } = await import('@tachyon-serve/core');
  const workspace = loadWorkspaceConfig(globals.workspace ?? findWorkspaceConfig());
  const sources = compileModelSources({
    cacheDir: globals.cacheDir,
    modelPath: globals.modelPath?.split(delimiter).filter((p) => p !== ''),
    workspaceModelPath: workspace.modelPath,
    allowDownload: globals.offline !== true,
    onProgress: createProgressPrinter(),
  });
  return { workspace, sources };
}
