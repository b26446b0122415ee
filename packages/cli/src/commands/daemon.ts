import type { Command } from 'commander';
import type { GlobalOptions } from '../main.js';
import { printError, printJson } from '../output.js';

/**
 * `tachyon daemon [--foreground]` and `tachyon daemon stop` (docs/deployments.md). Without --foreground the daemon is
 * found or started in the background (what the SDK does on the first deploy) and `{url, pid, workspace}` is printed;
 * with it, the daemon runs in this process, prints that line once listening, and stops on SIGTERM/SIGINT.
 */
export function registerDaemonCommands(program: Command): void {
  const daemon = program
    .command('daemon')
    .description(
      "the workspace's deployment daemon: finds or starts it (in the background unless --foreground) and prints {url, pid, workspace}",
    )
    .option('--foreground', 'run the daemon in this process until SIGTERM/SIGINT (logs on stderr)')
    .action(async (options: { foreground?: boolean }, command: Command) => {
      await runDaemon(options, command.optsWithGlobals<GlobalOptions>());
    });
  daemon
    .command('stop')
    .description(
      "stop the workspace's daemon and its service processes (the deployments stay: the next daemon brings them back)",
    )
    .action(async (_options: unknown, command: Command) => {
      await runDaemonStop(command.optsWithGlobals<GlobalOptions>());
    });
}

async function workspaceRoot(globals: GlobalOptions): Promise<string> {
  const { locateWorkspaceConfig } = await import('@tachyon-serve/core');
  return locateWorkspaceConfig(globals.workspace).root;
}

export async function runDaemon(options: { foreground?: boolean }, globals: GlobalOptions): Promise<void> {
  const root = await workspaceRoot(globals);
  const server = await import('@tachyon-serve/server');
  if (options.foreground !== true) {
    const client = await server.ensureDaemon(root);
    const health = await client.health();
    printJson({ url: client.url, pid: health.pid, workspace: health.workspace });
    return;
  }
  const running = await server.startDaemon({ workspace: root, ...server.daemonOptionsFromEnv(process.env) });
  const stop = () => void running.close();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  printJson({ url: running.url, pid: process.pid, workspace: running.workspace });
  await running.closed;
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
}

export async function runDaemonStop(globals: GlobalOptions): Promise<void> {
  const root = await workspaceRoot(globals);
  const { findDaemon } = await import('@tachyon-serve/server');
  const { isAlive } = await import('@tachyon-serve/core');
  const client = await findDaemon(root);
  if (client === undefined) {
    printError(`no deployment daemon runs for "${root}"`);
    printJson({ stopped: false });
    return;
  }
  const { pid } = await client.health();
  await client.shutdown();
  // The daemon drains its services before it exits: wait for it, so a following start finds no daemon.
  for (let i = 0; i < 1200 && isAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  printJson({ stopped: !isAlive(pid), pid });
}
