import { TachyonError } from '@tachyon-serve/protocol';
import { validateModelName } from '../registry/model-ref.js';
import {
  compileSchedulerOptions,
  type SchedulerConfig,
  type SchedulerOptions,
} from '../scheduler/scheduler-options.js';
import { TACHYON_VERSION } from '../service-def/service-definition.js';

/** How a deployed service gets its certificate: issued by cert-manager, or an existing `kubernetes.io/tls` Secret. */
export type DeploymentTlsOptions =
  | {
      mode: 'cert-manager';
      /** Name of the cert-manager issuer. */
      issuer: string;
      /** @default 'Issuer' (same namespace); 'ClusterIssuer' for a cluster-wide one */
      issuerKind?: 'Issuer' | 'ClusterIssuer';
      /** Extra DNS names on the certificate (e.g. an ingress host), besides the in-cluster service names. @default [] */
      dnsNames?: readonly string[];
    }
  | { mode: 'secret' /** An existing Secret holding `tls.crt` and `tls.key`. */; secretName: string };

/**
 * The desired state of one deployed service, as the deployment controller stores it in the workspace registry and
 * as `renderKubernetes` turns it into manifests. Pure data: no paths of this machine, no secrets.
 */
export interface DeploymentSpecOptions {
  /** Service name: a DNS-1035 label (`[a-z]([-a-z0-9]*[a-z0-9])?`) of at most 50 characters (room for suffixes). */
  service: string;
  /** The registered model version the service runs. */
  model: { name: string; version: number };
  /** Pods (with autoscale: the starting count, within [minReplicas, maxReplicas]). @default 1, with autoscale its minReplicas */
  replicas?: number;
  /** Inference worker threads per pod (`tachyon serve --workers`). @default 1 */
  workers?: number;
  /** Dynamic batching and queue bound of the model. @default undefined (the server's defaults) */
  scheduler?: SchedulerOptions;
  /** TLS on the pods' HTTP and gRPC ports. @default undefined (plaintext; terminate TLS in a mesh or ingress) */
  tls?: DeploymentTlsOptions;
  /** Container image of the server. @default `tachyon/server:${TACHYON_VERSION}` */
  image?: string;
  /** Requests per pod as Kubernetes quantities; memory is also the limit. @default undefined (none) */
  resources?: { cpu?: string; memory?: string };
  /** CPU-based horizontal autoscaling; needs `resources.cpu`. @default undefined (fixed `replicas`) */
  autoscale?: { minReplicas: number; maxReplicas: number; targetCpuPercent: number };
}

export type DeploymentTlsConfig =
  | Readonly<{
      mode: 'cert-manager';
      issuer: string;
      issuerKind: 'Issuer' | 'ClusterIssuer';
      dnsNames: readonly string[];
    }>
  | Readonly<{ mode: 'secret'; secretName: string }>;

export interface DeploymentSpec {
  readonly service: string;
  readonly model: Readonly<{ name: string; version: number }>;
  readonly replicas: number;
  readonly workers: number;
  readonly scheduler: SchedulerConfig | undefined;
  readonly tls: DeploymentTlsConfig | undefined;
  readonly image: string;
  readonly resources: Readonly<{ cpu?: string; memory?: string }> | undefined;
  readonly autoscale: Readonly<{ minReplicas: number; maxReplicas: number; targetCpuPercent: number }> | undefined;
}

export const DEPLOYMENT_SPEC_DEFAULTS = Object.freeze({
  replicas: 1,
  workers: 1,
  image: `tachyon/server:${TACHYON_VERSION}`,
  issuerKind: 'Issuer' as const,
});

export const SERVICE_NAME_MAX_LENGTH = 50;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** The Kubernetes quantity grammar (the pattern of `resources.requests` in the API schemas). */
export const K8S_QUANTITY =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;
// An image reference: [registry[:port]/]path[:tag][@digest], no spaces or shell characters.
const IMAGE_REF =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** True when `name` is a DNS-1035 label: what Kubernetes requires of Service names. */
export function isDns1035Label(name: string): boolean {
  return typeof name === 'string' && name.length <= 63 && DNS_1035_LABEL.test(name);
}

/**
 * Validates a deployment spec (every issue at once) and returns it with defaults applied, deep-frozen. Wrong types
 * are TypeErrors naming the field; values that are well-typed but unusable (a name Kubernetes refuses, replicas
 * outside the autoscale range, a bad quantity) are TCH_ERR_CONFIG_INVALID with `details.issues`.
 */
export function compileDeploymentSpec(options: DeploymentSpecOptions): DeploymentSpec {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('options: expected a DeploymentSpecOptions object.');
  const { service, model } = options;
  if (typeof service !== 'string') throw new TypeError('options.service: expected a string.');
  if (typeof model !== 'object' || model === null) throw new TypeError('options.model: expected { name, version }.');
  const issues: string[] = [];
  if (!DNS_1035_LABEL.test(service) || service.length > SERVICE_NAME_MAX_LENGTH) {
    issues.push(
      `service "${service}" must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter) of at most ${SERVICE_NAME_MAX_LENGTH} characters`,
    );
  }
  try {
    validateModelName(model.name);
  } catch (error) {
    if (error instanceof TypeError) throw new TypeError(`options.model.name: ${error.message}`);
    issues.push(`model.name "${String(model.name)}" must match [a-z0-9][a-z0-9._-]*`);
  }
  const int = (value: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    if (typeof value !== 'number') throw new TypeError(`options.${field}: expected a number.`);
    if (!Number.isInteger(value) || value < min || value > max)
      issues.push(
        `${field} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '...' : max}], got ${value}`,
      );
    return value;
  };
  const version = int(model.version, 'model.version', 1);
  const defaultReplicas =
    typeof options.autoscale?.minReplicas === 'number'
      ? options.autoscale.minReplicas
      : DEPLOYMENT_SPEC_DEFAULTS.replicas;
  const replicas = int(options.replicas ?? defaultReplicas, 'replicas', 1, 1000);
  const workers = int(options.workers ?? DEPLOYMENT_SPEC_DEFAULTS.workers, 'workers', 1, 256);
  const scheduler = options.scheduler === undefined ? undefined : compileSchedulerOptions(options.scheduler);

  const image = options.image ?? DEPLOYMENT_SPEC_DEFAULTS.image;
  if (typeof image !== 'string') throw new TypeError('options.image: expected a string.');
  if (!IMAGE_REF.test(image)) issues.push(`image "${image}" is not a container image reference`);

  const resources = options.resources === undefined ? undefined : compileResources(options.resources, issues);
  const autoscale = options.autoscale === undefined ? undefined : compileAutoscale(options.autoscale, int, issues);
  if (autoscale && (replicas < autoscale.minReplicas || replicas > autoscale.maxReplicas)) {
    issues.push(
      `replicas ${replicas} must lie within autoscale [minReplicas ${autoscale.minReplicas}, maxReplicas ${autoscale.maxReplicas}]`,
    );
  }
  if (autoscale && resources?.cpu === undefined)
    issues.push('autoscale on CPU needs resources.cpu (utilization is relative to the CPU request)');
  const tls = options.tls === undefined ? undefined : compileTls(options.tls, issues);

  if (issues.length > 0) {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Deployment spec of "${service}" is invalid: ${issues.join('; ')}.`,
      { details: { service, issues } },
    );
  }
  return Object.freeze({
    service,
    model: Object.freeze({ name: model.name, version }),
    replicas,
    workers,
    scheduler,
    tls,
    image,
    resources,
    autoscale,
  });
}

function compileResources(
  resources: { cpu?: string; memory?: string },
  issues: string[],
): Readonly<{ cpu?: string; memory?: string }> {
  if (typeof resources !== 'object' || resources === null)
    throw new TypeError('options.resources: expected { cpu?, memory? }.');
  const out: { cpu?: string; memory?: string } = {};
  for (const key of ['cpu', 'memory'] as const) {
    const value = resources[key];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new TypeError(`options.resources.${key}: expected a quantity string such as "500m" or "1Gi".`);
    if (!K8S_QUANTITY.test(value) || value.startsWith('-') || /^[+]?0*(\.0*)?[a-zA-Z]*$/.test(value))
      issues.push(`resources.${key} "${value}" is not a positive Kubernetes quantity`);
    out[key] = value;
  }
  return Object.freeze(out);
}

type IntCheck = (value: unknown, field: string, min: number, max?: number) => number;

function compileAutoscale(
  autoscale: NonNullable<DeploymentSpecOptions['autoscale']>,
  int: IntCheck,
  issues: string[],
): NonNullable<DeploymentSpec['autoscale']> {
  if (typeof autoscale !== 'object' || autoscale === null)
    throw new TypeError('options.autoscale: expected { minReplicas, maxReplicas, targetCpuPercent }.');
  const minReplicas = int(autoscale.minReplicas, 'autoscale.minReplicas', 1, 1000);
  const maxReplicas = int(autoscale.maxReplicas, 'autoscale.maxReplicas', 1, 1000);
  const targetCpuPercent = int(autoscale.targetCpuPercent, 'autoscale.targetCpuPercent', 1, 100);
  if (maxReplicas < minReplicas)
    issues.push(`autoscale.maxReplicas ${maxReplicas} is below minReplicas ${minReplicas}`);
  return Object.freeze({ minReplicas, maxReplicas, targetCpuPercent });
}

function compileTls(tls: DeploymentTlsOptions, issues: string[]): DeploymentTlsConfig {
  if (typeof tls !== 'object' || tls === null)
    throw new TypeError('options.tls: expected { mode: "cert-manager", issuer } or { mode: "secret", secretName }.');
  if (tls.mode === 'secret') {
    if (typeof tls.secretName !== 'string') throw new TypeError('options.tls.secretName: expected a string.');
    if (!DNS_1123_SUBDOMAIN.test(tls.secretName) || tls.secretName.length > 253)
      issues.push(`tls.secretName "${tls.secretName}" is not a valid Secret name`);
    return Object.freeze({ mode: 'secret', secretName: tls.secretName });
  }
  if (tls.mode !== 'cert-manager')
    throw new TypeError(
      `options.tls.mode: expected "cert-manager" or "secret", got ${JSON.stringify((tls as { mode?: unknown }).mode)}.`,
    );
  if (typeof tls.issuer !== 'string') throw new TypeError('options.tls.issuer: expected a string.');
  if (!DNS_1123_SUBDOMAIN.test(tls.issuer) || tls.issuer.length > 253)
    issues.push(`tls.issuer "${tls.issuer}" is not a valid issuer name`);
  const issuerKind = tls.issuerKind ?? DEPLOYMENT_SPEC_DEFAULTS.issuerKind;
  if (issuerKind !== 'Issuer' && issuerKind !== 'ClusterIssuer')
    throw new TypeError('options.tls.issuerKind: expected "Issuer" or "ClusterIssuer".');
  const dnsNames = tls.dnsNames ?? [];
  if (!Array.isArray(dnsNames) || !dnsNames.every((n) => typeof n === 'string'))
    throw new TypeError('options.tls.dnsNames: expected an array of strings.');
  for (const name of dnsNames) {
    if (!DNS_1123_SUBDOMAIN.test(name.replace(/^\*\./, '')) || name.length > 253)
      issues.push(`tls.dnsNames entry "${name}" is not a DNS name`);
  }
  return Object.freeze({
    mode: 'cert-manager',
    issuer: tls.issuer,
    issuerKind,
    dnsNames: Object.freeze([...dnsNames]),
  });
}
