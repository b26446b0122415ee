import { Option, type Command } from 'commander';
import type { Model, Webservice, Workspace } from 'tachyon-serve';
import type { GlobalOptions } from '../main.js';
import { printJson, printLine } from '../output.js';

/**
 * `tachyon deploy | update | services | service show | logs | keys | delete` (docs/deployments.md). The actions load
 * the SDK only when they run, so `tachyon --help` stays light.
 */
export function registerDeployCommands(program: Command): void {
  const global = (command: Command) => command.optsWithGlobals<GlobalOptions>();
  const deploy = program
    .command('deploy')
    .description(
      'deploy a registered model as web service NAME on this machine (idempotent), and wait until it is Healthy',
    )
    .argument('<name>', 'service name: lowercase letters, digits and "-"')
    .requiredOption('--model <model[:version]>', 'registered model (default version: the latest)')
    .addOption(
      new Option('--tls <mode>', 'TLS of the service ports: a self-signed certificate for localhost, or plaintext')
        .choices(['self-signed', 'none'])
        .default('self-signed'),
    )
    .option('--workers <n>', 'inference worker threads of the service process (default 1)');
  waitOptions(deploy, 'return once the deployment is accepted, without waiting for Healthy').action(
    async (name: string, options: DeployCliOptions, command: Command) => {
      await runDeploy(name, options, global(command));
    },
  );
  const update = program
    .command('update')
    .description('rolling update of service NAME to another model version (it loads and warms up before traffic moves)')
    .argument('<name>')
    .requiredOption('--model <model:version>', 'registered model version')
    .option('--workers <n>', 'inference worker threads (default: unchanged)');
  waitOptions(update, 'return once the update is accepted').action(
    async (name: string, options: DeployCliOptions, command: Command) => {
      await runUpdate(name, options, global(command));
    },
  );
  program
    .command('services')
    .description('list the web services of the workspace')
    .option('--json', 'print a JSON array of service statuses')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { runServices } = await import('./services.js');
      await runServices(options, global(command));
    });
  program
    .command('service')
    .description('one web service')
    .command('show')
    .description('show the status of service NAME: state, model, URLs, CA file, restarts')
    .argument('<name>')
    .option('--json', 'print the status as JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const { runServiceShow } = await import('./services.js');
      await runServiceShow(name, options, global(command));
    });
  program
    .command('logs')
    .description("print the last log lines of service NAME's process")
    .argument('<name>')
    .option('--tail <n>', 'only the last N lines')
    .option('--json', 'print {"lines": [...]}')
    .action(async (name: string, options: { tail?: string; json?: boolean }, command: Command) => {
      const { runLogs } = await import('./services.js');
      await runLogs(name, options, global(command));
    });
  program
    .command('keys')
    .description('print the primary and secondary keys of service NAME (secrets), or regenerate one')
    .argument('<name>')
    .addOption(
      new Option('--regenerate <key>', 'replace this key (the other keeps working)').choices(['primary', 'secondary']),
    )
    .option('--json', 'print {"primary", "secondary"}')
    .action(
      async (name: string, options: { regenerate?: 'primary' | 'secondary'; json?: boolean }, command: Command) => {
        const { runKeys } = await import('./services.js');
        await runKeys(name, options, global(command));
      },
    );
  program
    .command('delete')
    .description('delete service NAME: drains it and removes its process, files and registry row')
    .argument('<name>')
    .option('--json', 'print {"service", "deleted"}')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const { runDelete } = await import('./services.js');
      await runDelete(name, options, global(command));
    });
}

/** The flags deploy and update share: --no-wait (its help says when the command returns), --timeout and --json. */
function waitOptions(command: Command, noWait: string): Command {
  return command
    .option('--no-wait', noWait)
    .option('--timeout <ms>', 'how long to wait for Healthy (default 300000)')
    .option('--json', 'print the service status as JSON');
}

export interface DeployCliOptions {
  model: string;
  tls?: 'self-signed' | 'none';
  workers?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

/** Opens the workspace of --workspace (or found upward), runs `fn`, and always closes it. */
export async function withWorkspace<T>(globals: GlobalOptions, fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const { Workspace } = await import('tachyon-serve');
  const ws = await Workspace.fromConfig(globals.workspace);
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${flag}: expected an integer >= 1, got "${value}".`);
  return n;
}

type Sdk = typeof import('tachyon-serve');
type Act = (sdk: Sdk, ws: Workspace, model: Model, workers: { workers?: number }) => Promise<[Webservice, string]>;

/** Checks the flags, opens the workspace, looks --model up, runs `act` (deploy or update), then waits and prints. */
async function withModel(options: DeployCliOptions, globals: GlobalOptions, act: Act): Promise<void> {
  const sdk = await import('tachyon-serve');
  const workers = positiveInt(options.workers, '--workers');
  const timeoutMs = positiveInt(options.timeout, '--timeout');
  await withWorkspace(globals, async (ws) => {
    const [modelName, version] = splitModel(options.model);
    const model = await sdk.Model.get(ws, modelName, version);
    const [service, done] = await act(sdk, ws, model, workers === undefined ? {} : { workers });
    await finish(service, options, timeoutMs, done);
  });
}

function runDeploy(name: string, options: DeployCliOptions, globals: GlobalOptions): Promise<void> {
  return withModel(options, globals, async ({ Webservice }, ws, model, workers) => [
    await Webservice.deployFromModel(ws, name, [model], undefined, { tls: options.tls ?? 'self-signed', ...workers }),
    `deployed ${name} (${model.id})`,
  ]);
}

function runUpdate(name: string, options: DeployCliOptions, globals: GlobalOptions): Promise<void> {
  return withModel(options, globals, async ({ Webservice }, ws, model, workers) => {
    const service = await Webservice.get(ws, name);
    await service.update({ model, ...workers });
    return [service, `updated ${name} to ${model.id}`];
  });
}

async function finish(
  service: Webservice,
  options: DeployCliOptions,
  timeoutMs: number | undefined,
  done: string,
): Promise<void> {
  try {
    if (options.wait !== false)
      await service.waitForDeployment({ showOutput: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  } finally {
    await service.close();
  }
  if (options.json) printJson(service.status);
  else
    printLine(
      `${done}: ${service.state}${service.scoringUri ? ` at ${service.scoringUri}` : ''}${service.caFile ? ` (CA ${service.caFile})` : ''}`,
    );
}

/** `name` or `name:version` -> [name, version?]. */
export function splitModel(ref: string): [string, number | undefined] {
  const match = /^([^:]+)(?::([1-9][0-9]*))?$/.exec(ref);
  if (!match) throw new TypeError(`--model: expected NAME or NAME:VERSION, got "${ref}".`);
  return [match[1]!, match[2] === undefined ? undefined : Number(match[2])];
}
