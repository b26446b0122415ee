import type { GlobalOptions } from '../main.js';
import { printError, printJson, printLine } from '../output.js';

export interface WorkspaceMigrateOptions {
  /** postgres:// URL of an empty database. */
  to: string;
  keepArtifacts?: boolean;
  json?: boolean;
}

/**
 * `tachyon workspace migrate --to postgres://...`: moves the workspace's embedded SQLite registry into PostgreSQL and
 * points tachyon.json at it. Prints the URL without credentials; JSON on stdout only with --json.
 */
export async function runWorkspaceMigrate(options: WorkspaceMigrateOptions, globals: GlobalOptions): Promise<void> {
  const { locateWorkspaceConfig, migrateWorkspaceRegistry } = await import('@tachyon-serve/core');
  const config = locateWorkspaceConfig(globals.workspace);
  const result = await migrateWorkspaceRegistry(config, options.to, { keepArtifacts: options.keepArtifacts === true });
  if (result.passwordInConfig) {
    printError(
      'warning: tachyon.json now holds the database password; prefer a URL without it and PGPASSWORD or ~/.pgpass.',
    );
  }
  if (options.json === true) {
    const { passwordInConfig: _omitted, ...summary } = result;
    printJson(summary);
    return;
  }
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  printLine(
    `Migrated the registry of workspace "${config.name}": ${count(result.names, 'name')}, ${count(result.versions, 'version')}, ${count(result.deployments, 'deployment ref')}, ${count(result.deploymentRows, 'deployment row')}, ${count(result.artifacts, 'artifact')}.`,
  );
  printLine(`  from ${result.from} (left in place, no longer used)`);
  printLine(`  to   ${result.to}`);
  printLine(
    `  ${result.configFile} updated; previous file kept as ${result.backupFile}; artifacts in ${result.artifactStore}.`,
  );
}
