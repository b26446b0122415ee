import {
  adminKeyPath,
  createWorkspace,
  describeRegistryLocation,
  locateWorkspaceConfig,
  readAdminKey,
  type WorkspaceConfig,
} from '@tachyon-serve/core';
import type { GlobalOptions } from '../main.js';
import { printJson, printLine } from '../output.js';

export interface WorkspaceCreateOptions {
  name?: string;
  registry?: string;
  json?: boolean;
}

/** `tachyon workspace create DIR`: tachyon.json, the admin key (mode 0600), the registry and the artifact folder. */
export async function runWorkspaceCreate(dir: string, options: WorkspaceCreateOptions): Promise<void> {
  const config = await createWorkspace(dir, {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.registry === undefined ? {} : { registry: options.registry }),
  });
  if (options.json) {
    printJson(describe(config));
    return;
  }
  printLine(`created workspace "${config.name}" in ${config.root}`);
  printLine(`  registry:  ${describeRegistryLocation(config.registry)}`);
  printLine(`  artifacts: ${describeRegistryLocation(config.artifacts)}`);
  printLine(`  admin key: ${adminKeyPath(config)} (mode 0600; print it with \`tachyon workspace show --admin-key\`)`);
}

export interface WorkspaceShowOptions {
  adminKey?: boolean;
  json?: boolean;
}

/** `tachyon workspace show`: the resolved config; the admin key only when asked for. */
export async function runWorkspaceShow(options: WorkspaceShowOptions, globals: GlobalOptions): Promise<void> {
  const config = locateWorkspaceConfig(globals.workspace);
  const adminKey = options.adminKey ? await readAdminKey(config) : undefined;
  if (options.json) {
    printJson({ ...describe(config), ...(adminKey === undefined ? {} : { adminKey }) });
    return;
  }
  if (adminKey !== undefined) {
    // Alone on stdout, so `$(tachyon workspace show --admin-key)` gives just the key.
    printLine(adminKey);
    return;
  }
  const d = describe(config);
  printLine(`workspace "${d.name}"`);
  printLine(`  config:        ${d.config}`);
  printLine(`  registry:      ${d.registry}`);
  printLine(`  artifacts:     ${d.artifacts}`);
  printLine(`  model path:    ${d.modelPath.length === 0 ? '(none)' : d.modelPath.join(', ')}`);
  printLine(`  default model: ${d.defaultModel}`);
  printLine(`  admin key:     ${d.adminKeyFile}`);
}

function describe(config: WorkspaceConfig) {
  return {
    name: config.name,
    root: config.root,
    config: config.file ?? null,
    registry: describeRegistryLocation(config.registry),
    // A postgres:// URL (artifacts as large objects) is printed without its password, like the registry.
    artifacts: describeRegistryLocation(config.artifacts),
    modelPath: [...config.modelPath],
    defaultModel: config.defaultModel,
    adminKeyFile: adminKeyPath(config),
  };
}
