import { basename, delimiter, extname, resolve } from 'node:path';
import { toModelSource, type WorkspaceConfig } from '@tachyon-serve/core';
import type { ServeFileOptions, ServeLayer, ServeLayerName, ServeLogLevel } from '@tachyon-serve/server';
import type { GlobalOptions } from '../main.js';
import { createProgressPrinter, printJson } from '../output.js';

/** Flags of `tachyon serve`, as commander parses them (numbers still strings). */
export interface ServeCliOptions {
  model?: string[];
  name?: string;
  preset?: string;
  outputKind?: 'logits' | 'probabilities';
  host?: string;
  httpPort?: string;
  grpcPort?: string;
  keys?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** commander's `--no-auth` sets `auth: false`. */
  auth?: boolean;
  insecure?: boolean;
  workers?: string;
  maxImages?: string;
  bodyLimit?: string;
  maxConnections?: string;
  drainTimeout?: string;
  cors?: string[];
  /** `--config FILE` (docs/serve-config.md). */
  config?: string;
  printConfig?: boolean;
  logLevel?: string;
  maxBatchSize?: string;
  maxQueueDelayMs?: string;
  maxQueueSize?: string;
  /** commander's `--no-batching` sets `batching: false` (and `true` when absent: only `false` counts). */
  batching?: boolean;
  otlpEndpoint?: string;
  /** `--no-metrics`, like `batching`. */
  metrics?: boolean;
}

/**
 * `tachyon serve`: loads the models, listens on HTTP and gRPC, prints ONE JSON line on stdout once ready
 * (`{"http", "grpc", "models", "keys"?}`, keys only when generated: the one time they are shown), logs JSON lines on
 * stderr, and runs until SIGTERM/SIGINT, which drain in-flight requests; SIGHUP reloads the TLS pair and keys file.
 * Each option comes from the first of: flag > TACHYON_SERVE_* > --config file > tachyon.json "server" > built-in;
 * `--print-config` prints the result with where each value came from, and exits.
 */
export async function runServe(options: ServeCliOptions, globals: GlobalOptions): Promise<void> {
  const { compileModelSources, findWorkspaceConfig, loadWorkspaceConfig } = await import('@tachyon-serve/core');
  const server = await import('@tachyon-serve/server');
  const { startServer, handleProcessSignals, createServeLogger } = server;
  const env = server.readServeEnvironment(process.env);
  const configFile = options.config === undefined ? env.configFile : resolve(options.config);
  const file = configFile === undefined ? {} : server.loadServeConfigFile(configFile);
  const flags = server.resolveConfigPaths(flagLayer(options, globals), process.cwd());
  // The workspace is itself an option: which tachyon.json supplies the "server" layer depends on the layers above it.
  const workspacePath = flags.workspace ?? env.options.workspace ?? file.workspace;
  const workspace = loadWorkspaceConfig(workspacePath ?? findWorkspaceConfig());
  const layers: ServeLayer[] = [
    { name: 'flag', options: flags },
    { name: 'env', options: env.options },
    { name: 'file', options: file },
    { name: 'workspace', options: workspaceLayer(workspace, server.validateServeConfig, options.name) },
    // The standard OTEL_* variables, below every tachyon setting: tachyon's own flags, env and files take precedence.
    { name: 'env', options: { tracing: server.tracingFromOtelEnv(process.env).options } },
    {
      name: 'default',
      options: { ...server.SERVE_BUILTIN_OPTIONS, models: parseModels([workspace.defaultModel], options.name) },
    },
  ];
  let merged = server.mergeServeLayers(layers);
  // A tachyon.json found upward names the workspace only where the registry is needed: opening it has effects.
  if (
    merged.options.workspace === undefined &&
    workspace.file !== undefined &&
    needsRegistry(merged.options.models ?? [])
  ) {
    layers[3] = { name: 'workspace', options: { ...layers[3]!.options, workspace: workspace.root } };
    merged = server.mergeServeLayers(layers);
  }
  if (
    options.name !== undefined &&
    options.model === undefined &&
    (merged.sources['models'] === 'env' || merged.sources['models'] === 'file')
  ) {
    throw new TypeError('--name names a single --model; models from --config keep their own names.');
  }
  const { modelPath, ...rest } = merged.options;
  const serveOptions = {
    ...rest,
    models: rest.models ?? [],
    sources: compileModelSources({
      cacheDir: globals.cacheDir,
      modelPath,
      allowDownload: globals.offline !== true,
      onProgress: createProgressPrinter(),
    }),
  };
  const origins = { sources: merged.sources, configFile, workspaceFile: workspace.file };
  withOrigin(() => server.compileServeOptions(serveOptions), origins);
  if (options.printConfig === true) {
    printJson({
      config: merged.options,
      sources: merged.sources,
      files: { config: configFile ?? null, workspace: workspace.file ?? null },
    });
    return;
  }
  const logger = createServeLogger({ level: merged.options.logLevel });
  // SIGHUP's default action ends the process: ignore it while the models load (the files are read at startup anyway).
  const hupDuringStartup = () => logger.warn('SIGHUP during startup ignored: send it again once the server is ready');
  process.on('SIGHUP', hupDuringStartup);
  const running = await withOriginAsync(() => startServer({ ...serveOptions, logger }), origins).finally(() =>
    process.off('SIGHUP', hupDuringStartup),
  );
  const signals = handleProcessSignals(running, logger);
  printJson({
    http: running.httpUrl,
    grpc: running.grpcAddress,
    models: running.models,
    ...(running.keysGenerated && running.keys
      ? { keys: { primary: running.keys.primary, secondary: running.keys.secondary } }
      : {}),
    // Generated keys are in no file: this line is the one time they are shown.
    ...(running.adminKeyGenerated && running.keys?.admin ? { adminKey: running.keys.admin } : {}),
  });
  await signals.closed;
  logger.info('stopped');
  // Whatever handle a dependency leaves open, a drained server process must not linger.
  setTimeout(() => process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0), 2000).unref();
}

/** The command line as a layer: only what a flag sets (`--no-X` counts only when given). */
function flagLayer(o: ServeCliOptions, globals: GlobalOptions): ServeFileOptions {
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
    throw new TypeError('--tls-cert and --tls-key go together.');
  const modelPath = globals.modelPath?.split(delimiter).filter((p) => p !== '');
  return {
    models: o.model === undefined ? undefined : withModelChoices(parseModels(o.model, o.name), o),
    host: o.host,
    httpPort: int('--http-port', o.httpPort),
    grpcPort: int('--grpc-port', o.grpcPort),
    keysFile: o.keys,
    tls: o.tlsCert === undefined ? undefined : { certFile: o.tlsCert, keyFile: o.tlsKey! },
    noAuth: o.auth === false ? true : undefined,
    insecure: o.insecure === true ? true : undefined,
    workers: int('--workers', o.workers),
    maxImages: int('--max-images', o.maxImages),
    bodyLimit: int('--body-limit', o.bodyLimit),
    cors: o.cors,
    maxConnections: int('--max-connections', o.maxConnections),
    drainTimeoutMs: int('--drain-timeout', o.drainTimeout),
    scheduler: {
      batching: o.batching === false ? false : undefined,
      maxBatchSize: int('--max-batch-size', o.maxBatchSize),
      maxQueueDelayMs: nonNegative('--max-queue-delay-ms', o.maxQueueDelayMs),
      maxQueueSize: int('--max-queue-size', o.maxQueueSize),
    },
    metrics: o.metrics === false ? { enabled: false } : undefined,
    tracing: o.otlpEndpoint === undefined ? undefined : { otlpEndpoint: o.otlpEndpoint },
    workspace: globals.workspace,
    logLevel: o.logLevel as ServeLogLevel | undefined,
    modelPath: modelPath === undefined || modelPath.length === 0 ? undefined : modelPath,
  };
}

/** tachyon.json as a layer: its "server" section (same schema as --config), defaultModel and modelPath. */
function workspaceLayer(
  workspace: WorkspaceConfig,
  validate: typeof import('@tachyon-serve/server').validateServeConfig,
  name: string | undefined,
): ServeFileOptions {
  if (workspace.file === undefined) return {};
  const section = validate(workspace.server, {
    baseDir: workspace.root,
    subject: `Workspace config "${workspace.file}" section "server"`,
    code: 'TCH_ERR_CONFIG_INVALID',
    pointerPrefix: '/server',
    file: workspace.file,
  });
  return {
    ...section,
    models: section.models ?? parseModels([workspace.defaultModel], name),
    modelPath: section.modelPath ?? (workspace.modelPath.length > 0 ? workspace.modelPath : undefined),
  };
}

/** `registry:NAME` sources, or none at all (a server started empty loads from the registry later). */
function needsRegistry(models: NonNullable<ServeFileOptions['models']>): boolean {
  return (
    models.length === 0 ||
    models.some((m) => (typeof m.source === 'string' ? m.source.startsWith('registry:') : m.source.kind === 'registry'))
  );
}

interface Origins {
  sources: Readonly<Record<string, ServeLayerName>>;
  configFile: string | undefined;
  workspaceFile: string | undefined;
}

/** compileServeOptions names the option; this adds where its value came from. */
function withOrigin<T>(fn: () => T, origins: Origins): T {
  try {
    return fn();
  } catch (error) {
    throw explain(error, origins);
  }
}

async function withOriginAsync<T>(fn: () => Promise<T>, origins: Origins): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw explain(error, origins);
  }
}

function explain(error: unknown, { sources, configFile, workspaceFile }: Origins): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const match = /^([A-Za-z]+)(?:\[\d+\])?(?:\.([A-Za-z]+))?:/.exec(error.message);
  if (!match) return error;
  const layer = sources[`${match[1]}.${match[2]}`] ?? sources[match[1]!];
  const where: Record<ServeLayerName, string> = {
    flag: 'a command-line flag',
    env: 'a TACHYON_SERVE_* environment variable',
    file: `--config "${configFile}"`,
    workspace: `"server" in "${workspaceFile}"`,
    default: 'the built-in default',
  };
  if (layer === undefined) return error;
  const Kind = error instanceof RangeError ? RangeError : TypeError;
  return new Kind(`${error.message.replace(/\.$/, '')} (set by ${where[layer]}).`, { cause: error });
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * `--model REF` (repeatable) with `--name NAME` for a single model, or `--model NAME=REF` for several. Without a
 * name, a zoo id serves under its id and a file under its base name (`model_def.zip` -> `model_def`).
 */
export function parseModels(refs: readonly string[], name: string | undefined): { name: string; source: string }[] {
  if (name !== undefined && refs.length !== 1)
    throw new TypeError('--name names a single --model; for several use --model NAME=REF.');
  const models = refs.map((ref) => {
    const eq = ref.indexOf('=');
    if (eq > 0 && MODEL_NAME.test(ref.slice(0, eq))) return { name: ref.slice(0, eq), source: ref.slice(eq + 1) };
    return { name: name ?? defaultName(ref), source: ref };
  });
  for (const m of models) {
    if (!MODEL_NAME.test(m.name))
      throw new TypeError(`--name: "${m.name}" is not a valid model name ([A-Za-z0-9][A-Za-z0-9._-]*).`);
    if (m.source === '') throw new TypeError(`--model: "${m.name}=" names no model.`);
  }
  return models;
}

/**
 * `--preset` and `--output-kind` apply to plain models (zoo id or .onnx file): without them the engine decides from
 * the zoo entry, else from the graph (input shape, a Softmax at the end).
 */
function withModelChoices(models: { name: string; source: string }[], o: ServeCliOptions): ServeFileOptions['models'] {
  if (o.preset === undefined && o.outputKind === undefined) return models;
  return models.map((m) => {
    const source = toModelSource(m.source);
    if (source.kind !== 'model')
      throw new TypeError(`--preset and --output-kind apply to a zoo id or .onnx file, not "${m.source}".`);
    return {
      name: m.name,
      source: {
        ...source,
        ...(o.preset === undefined ? {} : { preset: o.preset }),
        ...(o.outputKind === undefined ? {} : { outputKind: o.outputKind }),
      },
    };
  });
}

function defaultName(ref: string): string {
  const base = basename(ref, extname(ref) === '.onnx' || extname(ref) === '.zip' ? extname(ref) : '');
  return base.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model';
}

function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
    throw new RangeError(`${flag}: expected a non-negative integer, got "${value}".`);
  return n;
}

function nonNegative(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new RangeError(`${flag}: expected a number >= 0, got "${value}".`);
  return n;
}
