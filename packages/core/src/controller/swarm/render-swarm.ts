import { stringify } from 'yaml';
import type { DeploymentSpec } from '../deployment-spec.js';
import { GRPC_PORT, HTTP_PORT, MODEL_ANNOTATION } from '../k8s/k8s-names.js';
import { TERMINATION_GRACE_SECONDS } from '../k8s/pod-template.js';
import { pinnedRegistryModel } from '../k8s/workspace-init.js';
import { renderHaproxyConfig, type HaproxyBackend } from './render-haproxy.js';

/**
 * How the replicas are reached. 'overlay': an overlay network and the routing mesh publish 8000/8001 once, so an
 * update can start the new task first. 'host': host networking (no routing mesh, e.g. a kernel without IPVS): each
 * task slot listens on its own ports (`basePort + 10*slot` and `+1`), updates are stop-first one at a time, and the
 * rendered HAProxy config in front routes around the task being replaced.
 */
export type SwarmNetwork = 'overlay' | 'host';

export interface RenderSwarmOptions {
  /** @default 'overlay' */
  network?: SwarmNetwork;
  /** 'host': HTTP port of slot N is basePort + 10*N, gRPC that + 1 (slots 1..9). @default 8100 */
  basePort?: number;
  /** 'host': where HAProxy listens (HTTP, then gRPC). @default { http: 8000, grpc: 8001 } */
  balancer?: { http: number; grpc: number };
  /** 'host': the address the tasks are reached at from HAProxy. @default '127.0.0.1' */
  nodeAddress?: string;
  /**
   * Contents of the secrets, written as files next to the stack (`secrets/...`) and referenced by `file:`; without
   * them the stack references EXTERNAL secrets of the same names (create them with `docker secret create`).
   * `registryUrl` is the whole state of a replica: rows and artifacts (artifacts in PostgreSQL, docs/scale-out.md).
   */
  secrets?: { registryUrl: string; keys: { primary: string; secondary: string } };
  /** `name` of the task's tachyon.json. @default the service name */
  workspaceName?: string;
}

export interface RenderedSwarm {
  /** The stack file (`docker stack deploy -c stack.yaml NAME`). */
  readonly stack: string;
  /** Other files, by relative path: the serve config, secret files when given, and the HAProxy config ('host'). */
  readonly files: Readonly<Record<string, string>>;
  /** The slots' ports ('host'), for the balancer and for tests. */
  readonly slots: readonly { slot: number; httpPort: number; grpcPort: number }[];
}

/** Where files live inside a task. */
export const SWARM_PATHS = Object.freeze({
  workspaceFile: '/run/secrets/tachyon.json',
  keysFile: '/run/secrets/keys.json',
  tlsCert: '/run/secrets/tls.crt',
  tlsKey: '/run/secrets/tls.key',
  serveConfig: '/etc/tachyon/serve.json',
  cache: '/tmp/tachyon-cache',
});

/** The task's `tachyon serve --config` file: the pinned version from the registry, keys and TLS from secrets. */
export function swarmServeConfig(spec: DeploymentSpec): Record<string, unknown> {
  return {
    models: [pinnedRegistryModel(spec)],
    workspace: SWARM_PATHS.workspaceFile,
    host: '0.0.0.0',
    httpPort: HTTP_PORT,
    grpcPort: GRPC_PORT,
    workers: spec.workers,
    keysFile: SWARM_PATHS.keysFile,
    ...(spec.tls ? { tls: { certFile: SWARM_PATHS.tlsCert, keyFile: SWARM_PATHS.tlsKey } } : { insecure: true }),
    modelControl: { enabled: false },
  };
}

/** The task's tachyon.json: registry AND artifacts at the one PostgreSQL URL (no shared volume needed). */
export function swarmWorkspaceConfig(name: string, registryUrl: string): Record<string, unknown> {
  return { name, registry: registryUrl, artifacts: registryUrl, modelPath: [] };
}

/**
 * A Docker Swarm stack for one deployment spec: replicas, rolling updates one task at a time (start-first on an
 * overlay network, stop-first with host networking), restart on any exit, a healthcheck on /v2/health/ready, keys,
 * TLS and the registry URL as Docker secrets, the serve config as a Docker config. Pure: nothing is contacted.
 */
export function renderSwarm(spec: DeploymentSpec, options: RenderSwarmOptions = {}): RenderedSwarm {
  if (typeof spec !== 'object' || spec === null || !Object.isFrozen(spec))
    throw new TypeError('spec: expected a DeploymentSpec from compileDeploymentSpec().');
  const network = options.network ?? 'overlay';
  if (network !== 'overlay' && network !== 'host')
    throw new RangeError(`options.network: expected "overlay" or "host", got ${JSON.stringify(network)}.`);
  const basePort = options.basePort ?? 8100;
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + 10 * 9 + 1 > 65535)
    throw new RangeError('options.basePort: expected an integer 1024..65444.');
  if (network === 'host' && spec.replicas > 9)
    throw new RangeError('host networking renders one port pair per task slot: at most 9 replicas.');
  const service = spec.service;
  const names = {
    workspace: `${service}-workspace`,
    keys: `${service}-keys`,
    tlsCert: `${service}-tls-crt`,
    tlsKey: `${service}-tls-key`,
    serve: `${service}-serve`,
  };
  const files: Record<string, string> = {
    [`${names.serve}.json`]: `${JSON.stringify(swarmServeConfig(spec), null, 2)}\n`,
  };
  const secretDecl: Record<string, unknown> = {};
  const declare = (name: string, content: string | undefined) => {
    if (content === undefined) secretDecl[name] = { external: true };
    else {
      files[`secrets/${name}.json`] = content;
      secretDecl[name] = { file: `./secrets/${name}.json` };
    }
  };
  declare(
    names.workspace,
    options.secrets &&
      `${JSON.stringify(swarmWorkspaceConfig(options.workspaceName ?? service, options.secrets.registryUrl), null, 2)}\n`,
  );
  declare(names.keys, options.secrets && `${JSON.stringify(options.secrets.keys, null, 2)}\n`);
  const taskSecrets: Record<string, unknown>[] = [
    { source: names.workspace, target: 'tachyon.json', mode: 0o400 },
    { source: names.keys, target: 'keys.json', mode: 0o400 },
  ];
  if (spec.tls) {
    // TLS material always comes from secrets the operator created (certificates are not rendered here).
    secretDecl[names.tlsCert] = { external: true };
    secretDecl[names.tlsKey] = { external: true };
    taskSecrets.push(
      { source: names.tlsCert, target: 'tls.crt', mode: 0o400 },
      { source: names.tlsKey, target: 'tls.key', mode: 0o400 },
    );
  }
  const host = network === 'host';
  // Host networking: ports from the task slot (Go template in the environment), e.g. slot 2 -> 8120 and 8121.
  const slotPort = (offset: 0 | 1) => `${Math.floor(basePort / 100)}{{.Task.Slot}}${offset}`;
  // The probe runs inside the task with the image's node: GET /v2/health/ready on the task's own HTTP port (a
  // self-signed certificate is accepted here only, for this local probe).
  const port = host ? 'process.env.TACHYON_SERVE_HTTP_PORT' : String(HTTP_PORT);
  const probe = `require('node:${spec.tls ? 'https' : 'http'}').get({ host: '127.0.0.1', port: ${port}, path: '/v2/health/ready', rejectUnauthorized: false, timeout: 2500 }, (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on('error', () => process.exit(1))`;
  const order = host ? 'stop-first' : 'start-first';
  const serviceDef: Record<string, unknown> = {
    image: spec.image,
    command: ['serve', '--config', SWARM_PATHS.serveConfig],
    environment: {
      TACHYON_CACHE_DIR: SWARM_PATHS.cache,
      ...(host ? { TACHYON_SERVE_HTTP_PORT: slotPort(0), TACHYON_SERVE_GRPC_PORT: slotPort(1) } : {}),
    },
    ...(host
      ? { networks: ['hostnet'] }
      : {
          ports: [
            { target: HTTP_PORT, published: HTTP_PORT, protocol: 'tcp', mode: 'ingress' },
            { target: GRPC_PORT, published: GRPC_PORT, protocol: 'tcp', mode: 'ingress' },
          ],
        }),
    healthcheck: {
      test: ['CMD', 'node', '-e', probe],
      interval: '5s',
      timeout: '3s',
      retries: 3,
      start_period: '120s',
    },
    stop_grace_period: `${TERMINATION_GRACE_SECONDS}s`,
    secrets: taskSecrets,
    configs: [{ source: names.serve, target: SWARM_PATHS.serveConfig, mode: 0o444 }],
    labels: { [MODEL_ANNOTATION]: `${spec.model.name}:${spec.model.version}` },
    deploy: {
      mode: 'replicated',
      replicas: spec.replicas,
      update_config: { parallelism: 1, delay: '2s', order, failure_action: 'rollback', monitor: '30s' },
      rollback_config: { parallelism: 1, order },
      restart_policy: { condition: 'any', delay: '2s', window: '30s' },
      labels: { [MODEL_ANNOTATION]: `${spec.model.name}:${spec.model.version}` },
      ...(spec.resources
        ? {
            resources: {
              ...(spec.resources.cpu ? { reservations: { cpus: String(cpus(spec.resources.cpu)) } } : {}),
              ...(spec.resources.memory ? { limits: { memory: memory(spec.resources.memory) } } : {}),
            },
          }
        : {}),
    },
  };
  const stack: Record<string, unknown> = {
    version: '3.8',
    services: { [service]: serviceDef },
    ...(host ? { networks: { hostnet: { external: true, name: 'host' } } } : {}),
    secrets: secretDecl,
    configs: { [names.serve]: { file: `./${names.serve}.json` } },
  };
  const slots = host
    ? Array.from({ length: spec.replicas }, (_, i) => {
        const slot = i + 1;
        const http = Number(slotPort(0).replace('{{.Task.Slot}}', String(slot)));
        return { slot, httpPort: http, grpcPort: http + 1 };
      })
    : [];
  if (host) {
    const backends: HaproxyBackend[] = slots.map((s) => ({
      name: `${service}-${s.slot}`,
      address: options.nodeAddress ?? '127.0.0.1',
      httpPort: s.httpPort,
      grpcPort: s.grpcPort,
    }));
    files['haproxy.cfg'] = renderHaproxyConfig({
      service,
      backends,
      listen: options.balancer ?? { http: HTTP_PORT, grpc: GRPC_PORT },
      tls: spec.tls !== undefined,
    });
  }
  return Object.freeze({
    stack: stringify(stack, { lineWidth: 0 }),
    files: Object.freeze(files),
    slots: Object.freeze(slots),
  });
}

/** A Kubernetes CPU quantity as Docker's decimal cpus ("1500m" -> 1.5). */
function cpus(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

/** A Kubernetes memory quantity in Docker's units (binary suffixes: Gi -> G is 1024-based in Docker too). */
function memory(quantity: string): string {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!m) return quantity;
  return `${m[1]}${{ Ki: 'K', Mi: 'M', Gi: 'G', Ti: 'T' }[m[2] as 'Ki'] ?? ''}`;
}
