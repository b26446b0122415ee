import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { TachyonError } from '@tachyon-serve/protocol';
import type { GlobalOptions } from '../main.js';
import { printError, printJson } from '../output.js';

/** The flags `k8s render` and `render` share. */
function addRenderOptions(command: Command): Command {
  const repeatable = (value: string, previous: string[] = []): string[] => [...previous, value];
  return command
    .option('--out <dir>', 'write one file per object into DIR (mode 0600) instead of stdout')
    .option(
      '--json',
      'JSON instead of YAML: a v1 List on stdout, or with --out one .yaml-named JSON file per object and {"files"} on stdout',
    )
    .option('--namespace <ns>', 'namespace of every object (default "default")')
    .option('--replicas <n>', 'pods (default 1; with --autoscale the starting count)')
    .option('--workers <n>', 'inference worker threads per pod (default 1)')
    .option('--image <ref>', 'server image (default tachyon/server:<version>, built from deploy/docker/Dockerfile)')
    .option('--cpu <quantity>', 'CPU request per pod, e.g. 2 or 1500m (needed by --autoscale)')
    .option('--memory <quantity>', 'memory request and limit per pod, e.g. 2Gi')
    .option('--autoscale <min:max:cpu%>', 'CPU autoscaling, e.g. 2:10:70')
    .option(
      '--registry-url <url>',
      'postgres:// URL of the registry, written into the Secret (default: the workspace registry when it is PostgreSQL)',
    )
    .option('--registry-secret <secret:key>', 'take the registry URL from this key of an existing Secret instead')
    .option('--keys <file>', 'JSON {"primary", "secondary"} written into the Secret (default: placeholders to replace)')
    .option('--tls-issuer <name>', 'TLS from a cert-manager Issuer (renders a Certificate)')
    .option('--tls-cluster-issuer <name>', 'TLS from a cert-manager ClusterIssuer (renders a Certificate)')
    .option('--tls-dns-name <name>', 'extra DNS name on the certificate (repeatable)', repeatable)
    .option('--tls-secret <name>', 'TLS from an existing kubernetes.io/tls Secret')
    .option(
      '--artifacts-claim <pvc>',
      'ReadWriteMany PersistentVolumeClaim with the workspace artifacts (default tachyon-artifacts; none when the workspace keeps artifacts in PostgreSQL)',
    )
    .option(
      '--artifacts-in-registry',
      "artifacts are in the PostgreSQL registry (large objects): no volume (default when the workspace's artifacts is a postgres:// URL)",
    );
}

/** `tachyon k8s render` and `tachyon render --target`; their actions load @tachyon-serve/core only when they run. */
export function registerK8sCommands(program: Command): void {
  const render = program
    .command('render')
    .description(
      'deployment files of SERVICE for an engine: a Swarm stack (+ HAProxy config), Kubernetes manifests or a KServe InferenceService (docs/scale-out.md)',
    )
    .argument('<service>', 'service name: a DNS-1035 label, e.g. vision')
    .addOption(
      new Option('--target <engine>', 'the engine').choices(['swarm', 'kubernetes', 'kserve']).makeOptionMandatory(),
    )
    .requiredOption('--model <name:version>', 'the registered model version to serve, e.g. resnet50:3')
    .addOption(
      new Option(
        '--network <mode>',
        'swarm: overlay (routing mesh, start-first updates) or host (a port pair per task slot, stop-first, HAProxy in front)',
      )
        .choices(['overlay', 'host'])
        .default('overlay'),
    )
    .option(
      '--base-port <port>',
      'swarm --network host: slot N listens on BASE+10N (HTTP) and BASE+10N+1 (gRPC) (default 8100)',
    )
    .addOption(new Option('--canary-traffic-percent <n>', 'kserve: share of traffic (0..100) the new revision gets'));
  addRenderOptions(render).action(
    async (
      service: string,
      options: K8sRenderCliOptions & { target: string; network?: string; basePort?: string },
      command: Command,
    ) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      if (options.target === 'swarm') {
        const { runSwarmRender } = await import('./render-swarm.js');
        await runSwarmRender(service, options, globals);
        return;
      }
      await runK8sRender(service, { ...options, format: options.target === 'kserve' ? 'kserve' : 'plain' }, globals);
    },
  );
  const k8s = program
    .command('k8s')
    .description('Kubernetes manifests for a deployment (rendered here, applied by you: docs/kubernetes.md)');
  addRenderOptions(
    k8s
      .command('render')
      .description(
        'print the manifests of SERVICE: KServe InferenceService and/or Deployment + Service + HPA + PodDisruptionBudget, Secret, cert-manager Certificate',
      )
      .argument('<service>', 'service name: a DNS-1035 label, e.g. vision')
      .requiredOption('--model <name:version>', 'the registered model version to serve, e.g. resnet50:3')
      .addOption(
        new Option('--format <format>', 'which workload objects').choices(['kserve', 'plain', 'all']).default('all'),
      )
      .addOption(new Option('--canary-traffic-percent <n>', 'KServe: share of traffic (0..100) the new revision gets')),
  ).action(async (service: string, options: K8sRenderCliOptions, command: Command) => {
    await runK8sRender(service, options, command.optsWithGlobals<GlobalOptions>());
  });
}

/** Flags of `tachyon k8s render`, as commander parses them (numbers still strings). */
export interface K8sRenderCliOptions {
  model: string;
  format?: string;
  out?: string;
  json?: boolean;
  namespace?: string;
  replicas?: string;
  workers?: string;
  image?: string;
  cpu?: string;
  memory?: string;
  autoscale?: string;
  registryUrl?: string;
  registrySecret?: string;
  keys?: string;
  tlsIssuer?: string;
  tlsClusterIssuer?: string;
  tlsSecret?: string;
  tlsDnsName?: string[];
  artifactsClaim?: string;
  artifactsInRegistry?: boolean;
  canaryTrafficPercent?: string;
}

/**
 * `tachyon k8s render SERVICE --model NAME:VERSION`: the Kubernetes manifests of a deployment (docs/kubernetes.md),
 * as a YAML stream on stdout, `--json` a v1 List, or `--out DIR` one file per object (mode 0600: the Secret may hold
 * keys). Nothing is applied and no cluster is contacted.
 */
/** The deployment spec the shared flags describe. */
export async function specFromFlags(service: string, options: K8sRenderCliOptions) {
  const core = await import('@tachyon-serve/core');
  const { name, version } = parseModelVersion(options.model);
  const tlsFlags = [options.tlsIssuer, options.tlsClusterIssuer, options.tlsSecret].filter((f) => f !== undefined);
  if (tlsFlags.length > 1)
    throw new TypeError('--tls-issuer, --tls-cluster-issuer and --tls-secret exclude each other.');
  if (options.tlsDnsName && options.tlsSecret !== undefined)
    throw new TypeError('--tls-dns-name goes with --tls-issuer or --tls-cluster-issuer.');
  const issuer = options.tlsIssuer ?? options.tlsClusterIssuer;
  return core.compileDeploymentSpec({
    service,
    model: { name, version },
    replicas: int('--replicas', options.replicas),
    workers: int('--workers', options.workers),
    image: options.image,
    resources:
      options.cpu === undefined && options.memory === undefined
        ? undefined
        : { cpu: options.cpu, memory: options.memory },
    autoscale: options.autoscale === undefined ? undefined : parseAutoscale(options.autoscale),
    tls:
      issuer !== undefined
        ? {
            mode: 'cert-manager',
            issuer,
            issuerKind: options.tlsClusterIssuer ? 'ClusterIssuer' : 'Issuer',
            dnsNames: options.tlsDnsName ?? [],
          }
        : options.tlsSecret !== undefined
          ? { mode: 'secret', secretName: options.tlsSecret }
          : undefined,
  });
}

export async function runK8sRender(
  service: string,
  options: K8sRenderCliOptions,
  globals: GlobalOptions,
): Promise<void> {
  const core = await import('@tachyon-serve/core');
  const spec = await specFromFlags(service, options);
  const format = options.format ?? 'all';
  if (!core.KUBERNETES_FORMATS.includes(format as never))
    throw new TypeError(`--format: expected one of ${core.KUBERNETES_FORMATS.join(', ')}, got "${format}".`);
  const workspace = core.loadWorkspaceConfig(globals.workspace ?? core.findWorkspaceConfig());
  const rendered = core.renderKubernetes(spec, {
    format: format as 'kserve' | 'plain' | 'all',
    namespace: options.namespace,
    registryUrl: registryUrl(options, workspace.registry),
    keys: options.keys === undefined ? undefined : await readKeys(options.keys),
    // Artifacts in PostgreSQL: the registry URL is the pods' whole state, no ReadWriteMany volume.
    artifactsClaim:
      options.artifactsInRegistry === true ||
      (options.artifactsClaim === undefined && /^postgres(ql)?:\/\//.test(workspace.artifacts))
        ? null
        : options.artifactsClaim,
    workspaceName: workspace.name,
    canaryTrafficPercent: int('--canary-traffic-percent', options.canaryTrafficPercent),
  });
  if (options.keys === undefined)
    printError(
      'note: the Secret holds placeholder keys (REPLACE-ME-...): set them, or pass --keys FILE, before applying',
    );

  if (options.out !== undefined) {
    await mkdir(options.out, { recursive: true });
    const files: string[] = [];
    for (const doc of rendered.documents) {
      const file = join(options.out, core.manifestFileName(doc));
      await writeFile(file, options.json ? `${JSON.stringify(doc, null, 2)}\n` : core.toYamlStream([doc]), {
        mode: 0o600,
      });
      files.push(file);
    }
    if (options.json) printJson({ files });
    else for (const file of files) printError(`wrote ${file}`);
    return;
  }
  if (options.json) printJson({ apiVersion: 'v1', kind: 'List', items: rendered.documents });
  else process.stdout.write(rendered.yaml);
}

/** `NAME:VERSION` with a numeric version (a deployment pins one registered version). */
export function parseModelVersion(ref: string): { name: string; version: number } {
  const match = /^(.+):([0-9]+)$/.exec(ref);
  if (!match) throw new TypeError(`--model: expected NAME:VERSION (e.g. resnet50:3), got "${ref}".`);
  return { name: match[1]!, version: Number(match[2]) };
}

/** `MIN:MAX:CPU%`, e.g. `2:10:70`. */
function parseAutoscale(value: string): { minReplicas: number; maxReplicas: number; targetCpuPercent: number } {
  const match = /^(\d+):(\d+):(\d+)%?$/.exec(value);
  if (!match) throw new TypeError(`--autoscale: expected MIN:MAX:CPU_PERCENT (e.g. 2:10:70), got "${value}".`);
  return { minReplicas: Number(match[1]), maxReplicas: Number(match[2]), targetCpuPercent: Number(match[3]) };
}

export function registryUrl(
  options: K8sRenderCliOptions,
  workspaceRegistry: string,
): string | { secretName: string; key: string } {
  if (options.registryUrl !== undefined && options.registrySecret !== undefined)
    throw new TypeError('--registry-url and --registry-secret exclude each other.');
  if (options.registrySecret !== undefined) {
    const [secretName, key, ...rest] = options.registrySecret.split(':');
    if (!secretName || !key || rest.length > 0)
      throw new TypeError(`--registry-secret: expected SECRET:KEY, got "${options.registrySecret}".`);
    return { secretName, key };
  }
  if (options.registryUrl !== undefined) return options.registryUrl;
  if (/^postgres(ql)?:\/\//.test(workspaceRegistry)) return workspaceRegistry;
  throw new TachyonError(
    'TCH_ERR_CONFIG_INVALID',
    'Kubernetes deployments need the PostgreSQL registry: pass --registry-url or --registry-secret, or move the workspace with `tachyon workspace migrate --to postgres://...`.',
    { details: { registry: 'sqlite' } },
  );
}

export async function readKeys(file: string): Promise<{ primary: string; secondary: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    // No parser message: it would quote the file's content.
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Keys file "${file}" is missing or not valid JSON.`, {
      details: { file },
      cause: (cause as NodeJS.ErrnoException).code ? cause : undefined,
    });
  }
  const keys = raw as { primary?: unknown; secondary?: unknown };
  if (
    typeof keys !== 'object' ||
    keys === null ||
    typeof keys.primary !== 'string' ||
    typeof keys.secondary !== 'string'
  ) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Keys file "${file}" must be {"primary": "...", "secondary": "..."}.`,
      { details: { file } },
    );
  }
  return { primary: keys.primary, secondary: keys.secondary };
}

export function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim())) throw new RangeError(`${flag}: expected a non-negative integer, got "${value}".`);
  return Number(value);
}
