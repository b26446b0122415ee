import type { DeploymentSpec } from '../deployment-spec.js';
import { GRPC_PORT, HTTP_PORT } from './k8s-names.js';
import { INIT_SCRIPT, POD_PATHS, podServeConfig, podWorkspaceConfig } from './workspace-init.js';

/** Where the registry URL comes from: a key of a Secret (the rendered one, or one the operator already has). */
export interface SecretKeyRef {
  readonly secretName: string;
  readonly key: string;
}

/** What the pod needs besides the deployment spec. */
export interface PodInputs {
  /** Secret holding `primary` and `secondary`. */
  readonly keysSecret: string;
  readonly registryUrl: SecretKeyRef;
  /** PersistentVolumeClaim (ReadWriteMany) of the workspace's artifact folder; null: artifacts are in the registry (PostgreSQL large objects), no volume. */
  readonly artifactsClaim: string | null;
  readonly workspaceName: string;
  /** Secret with tls.crt/tls.key, when the spec has TLS. */
  readonly tlsSecret: string | undefined;
}

/** Non-root user of the image (deploy/docker/Dockerfile creates it with this uid/gid). */
export const POD_UID = 10001;

/** Port numbers and names as the container declares them. */
export interface PortNames {
  readonly http: string;
  readonly grpc: string;
}

const secretEnv = (name: string, ref: SecretKeyRef) => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.secretName, key: ref.key } },
});

const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Pod-level security: the image's non-root uid, group-readable mounted secrets, the runtime's seccomp profile. */
export function podSecurityContext(): Record<string, unknown> {
  return {
    runAsNonRoot: true,
    runAsUser: POD_UID,
    runAsGroup: POD_UID,
    fsGroup: POD_UID,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The init container that writes tachyon.json, keys.json and serve.json into the in-memory runtime folder. */
export function initContainer(spec: DeploymentSpec, inputs: PodInputs): Record<string, unknown> {
  return {
    name: 'tachyon-init',
    image: spec.image,
    command: ['node', '-e', INIT_SCRIPT],
    env: [
      { name: 'TACHYON_RUNTIME_DIR', value: POD_PATHS.runtime },
      {
        name: 'TACHYON_WORKSPACE_JSON',
        value: JSON.stringify(podWorkspaceConfig(inputs.workspaceName, inputs.artifactsClaim === null)),
      },
      { name: 'TACHYON_SERVE_JSON', value: JSON.stringify(podServeConfig(spec)) },
      secretEnv('TACHYON_REGISTRY_URL', inputs.registryUrl),
      secretEnv('TACHYON_PRIMARY_KEY', { secretName: inputs.keysSecret, key: 'primary' }),
      secretEnv('TACHYON_SECONDARY_KEY', { secretName: inputs.keysSecret, key: 'secondary' }),
    ],
    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    securityContext: containerSecurity,
    volumeMounts: [{ name: 'runtime', mountPath: POD_PATHS.runtime }],
  };
}

/**
 * The server container: `tachyon serve --config` (the image's entrypoint is `tachyon`), both ports, health probes
 * on the KServe v2 routes (open, no key needed), and a startup probe that allows five minutes for the model to load.
 */
export function serverContainer(
  spec: DeploymentSpec,
  name: string,
  ports: PortNames,
  artifactsVolume = true,
): Record<string, unknown> {
  const scheme = spec.tls ? 'HTTPS' : 'HTTP';
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: HTTP_PORT, scheme },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const requests: Record<string, string> = {};
  if (spec.resources?.cpu) requests['cpu'] = spec.resources.cpu;
  if (spec.resources?.memory) requests['memory'] = spec.resources.memory;
  return {
    name,
    image: spec.image,
    args: ['serve', '--config', POD_PATHS.serveConfig],
    ports: [
      { name: ports.http, containerPort: HTTP_PORT, protocol: 'TCP' },
      { name: ports.grpc, containerPort: GRPC_PORT, protocol: 'TCP' },
    ],
    env: [{ name: 'TACHYON_CACHE_DIR', value: POD_PATHS.cache }],
    // preStop runs BEFORE SIGTERM: the pod keeps serving while the endpoint controllers and the proxies drop it;
    // then SIGTERM makes `tachyon serve` refuse new work (readiness fails) and drain what is in flight.
    lifecycle: {
      preStop: { exec: { command: ['node', '-e', `setTimeout(() => {}, ${PRESTOP_DRAIN_SECONDS * 1000})`] } },
    },
    startupProbe: probe('/v2/health/live', 5, 60),
    livenessProbe: probe('/v2/health/live', 10, 3),
    readinessProbe: probe('/v2/health/ready', 5, 2),
    ...(spec.resources
      ? { resources: { requests, ...(spec.resources.memory ? { limits: { memory: spec.resources.memory } } : {}) } }
      : {}),
    securityContext: containerSecurity,
    volumeMounts: [
      { name: 'runtime', mountPath: POD_PATHS.runtime, readOnly: true },
      ...(artifactsVolume ? [{ name: 'artifacts', mountPath: POD_PATHS.artifacts }] : []),
      { name: 'cache', mountPath: POD_PATHS.cache },
      { name: 'tmp', mountPath: '/tmp' },
      ...(spec.tls ? [{ name: 'tls', mountPath: POD_PATHS.tls, readOnly: true }] : []),
    ],
  };
}

export function podVolumes(inputs: PodInputs): Record<string, unknown>[] {
  return [
    { name: 'runtime', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    ...(inputs.artifactsClaim === null
      ? []
      : [{ name: 'artifacts', persistentVolumeClaim: { claimName: inputs.artifactsClaim } }]),
    { name: 'cache', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    ...(inputs.tlsSecret ? [{ name: 'tls', secret: { secretName: inputs.tlsSecret, defaultMode: 0o440 } }] : []),
  ];
}

/** How long the preStop hook keeps a terminating pod serving before SIGTERM (endpoint removal propagates). */
export const PRESTOP_DRAIN_SECONDS = 5;

/** preStop wait + drain timeout of `tachyon serve` (30 s) + margin, so Kubernetes never kills a draining server. */
export const TERMINATION_GRACE_SECONDS = 45;

/** Prometheus scrape annotations (the convention of the Prometheus Helm chart's kubernetes-pods job). */
export function scrapeAnnotations(spec: DeploymentSpec): Record<string, string> {
  return {
    'prometheus.io/scrape': 'true',
    'prometheus.io/port': String(HTTP_PORT),
    'prometheus.io/path': '/metrics',
    'prometheus.io/scheme': spec.tls ? 'https' : 'http',
  };
}
