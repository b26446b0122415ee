import { stringify } from 'yaml';
import type { DeploymentSpec } from '../deployment-spec.js';
import { buildInferenceService, kservePodSelector } from './kserve-manifest.js';
import { objectNames, selectorLabels, type K8sObject } from './k8s-names.js';
import {
  buildDeployment,
  buildHorizontalPodAutoscaler,
  buildPodDisruptionBudget,
  buildService,
} from './plain-manifests.js';
import type { PodInputs, SecretKeyRef } from './pod-template.js';
import { REGISTRY_URL_KEY, SECRET_PLACEHOLDERS, buildCertificate, buildSecret } from './secret-manifests.js';

export type KubernetesFormat = 'kserve' | 'plain' | 'all';
export const KUBERNETES_FORMATS: readonly KubernetesFormat[] = Object.freeze(['kserve', 'plain', 'all']);

export interface RenderKubernetesOptions {
  /**
   * The workspace's PostgreSQL registry: a `postgres://` URL (written into the rendered Secret; it may carry the
   * password) or a key of a Secret that already holds it. @default a placeholder in the rendered Secret
   */
  registryUrl?: string | { secretName: string; key: string };
  /** 'kserve': InferenceService; 'plain': Deployment + Service (+ HPA); 'all': both. Secret and Certificate always. @default 'all' */
  format?: KubernetesFormat;
  /** @default 'default' */
  namespace?: string;
  /** The service keys, written into the Secret. @default placeholders, to be replaced before applying */
  keys?: { primary: string; secondary: string };
  /**
   * PersistentVolumeClaim (ReadWriteMany) holding the workspace's artifact folder, or null when the artifacts are in
   * the PostgreSQL registry itself (no volume: the registry URL is the pods' whole state). @default 'tachyon-artifacts'
   */
  artifactsClaim?: string | null;
  /** `name` of the pod's tachyon.json. @default the service name */
  workspaceName?: string;
  /** KServe: the percentage of traffic the newly applied revision gets (0..100); the rest stays on the last ready one. @default none (all traffic) */
  canaryTrafficPercent?: number;
}

export interface RenderKubernetesConfig {
  readonly format: KubernetesFormat;
  readonly namespace: string;
  readonly registryUrl: string | Readonly<SecretKeyRef>;
  readonly keys: Readonly<{ primary: string; secondary: string }> | undefined;
  readonly artifactsClaim: string | null;
  readonly workspaceName: string | undefined;
  readonly canaryTrafficPercent: number | undefined;
}

export const RENDER_KUBERNETES_DEFAULTS = Object.freeze({
  format: 'all' as KubernetesFormat,
  namespace: 'default',
  artifactsClaim: 'tachyon-artifacts',
});

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const MIN_KEY_LENGTH = 16;

/** Checks the render options (misuse -> TypeError/RangeError naming the option) and freezes them with defaults. */
export function compileRenderKubernetesOptions(options: RenderKubernetesOptions = {}): RenderKubernetesConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object.');
  const format = options.format ?? RENDER_KUBERNETES_DEFAULTS.format;
  if (!KUBERNETES_FORMATS.includes(format))
    throw new RangeError(
      `options.format: expected one of ${KUBERNETES_FORMATS.join(', ')}, got ${JSON.stringify(format)}.`,
    );
  const namespace = options.namespace ?? RENDER_KUBERNETES_DEFAULTS.namespace;
  if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace))
    throw new RangeError(`options.namespace: "${String(namespace)}" is not a DNS-1123 label.`);
  const artifactsClaim =
    options.artifactsClaim === undefined ? RENDER_KUBERNETES_DEFAULTS.artifactsClaim : options.artifactsClaim;
  if (
    artifactsClaim !== null &&
    (typeof artifactsClaim !== 'string' || artifactsClaim.length > 253 || !DNS_SUBDOMAIN.test(artifactsClaim))
  ) {
    throw new RangeError(
      `options.artifactsClaim: "${String(artifactsClaim)}" is not a valid PersistentVolumeClaim name.`,
    );
  }
  const registryUrl = options.registryUrl ?? SECRET_PLACEHOLDERS.registryUrl;
  if (typeof registryUrl === 'string') {
    // Never echo the URL: it may hold a password.
    if (registryUrl !== SECRET_PLACEHOLDERS.registryUrl && !/^postgres(ql)?:\/\//.test(registryUrl))
      throw new RangeError(
        'options.registryUrl: expected a postgres:// URL (Kubernetes deployments need the PostgreSQL registry).',
      );
  } else if (
    typeof registryUrl !== 'object' ||
    registryUrl === null ||
    typeof registryUrl.secretName !== 'string' ||
    typeof registryUrl.key !== 'string'
  ) {
    throw new TypeError('options.registryUrl: expected a postgres:// URL or { secretName, key }.');
  } else if (!DNS_SUBDOMAIN.test(registryUrl.secretName) || !SECRET_KEY.test(registryUrl.key)) {
    throw new RangeError(
      `options.registryUrl: "${registryUrl.secretName}" / "${registryUrl.key}" is not a valid Secret name and key.`,
    );
  }
  const keys = options.keys;
  if (keys !== undefined) {
    for (const which of ['primary', 'secondary'] as const) {
      const key = (keys as Record<string, unknown>)[which];
      if (typeof key !== 'string') throw new TypeError(`options.keys.${which}: expected a string.`);
      if (key.length < MIN_KEY_LENGTH || /\s/.test(key))
        throw new RangeError(
          `options.keys.${which}: expected at least ${MIN_KEY_LENGTH} characters and no whitespace.`,
        );
    }
    if (keys.primary === keys.secondary) throw new RangeError('options.keys: primary and secondary must differ.');
  }
  const workspaceName = options.workspaceName;
  if (workspaceName !== undefined && (typeof workspaceName !== 'string' || workspaceName === ''))
    throw new TypeError('options.workspaceName: expected a non-empty string.');
  const canary = options.canaryTrafficPercent;
  if (canary !== undefined && (!Number.isInteger(canary) || canary < 0 || canary > 100))
    throw new RangeError(`options.canaryTrafficPercent: expected an integer 0..100, got ${String(canary)}.`);
  return Object.freeze({
    canaryTrafficPercent: canary,
    format,
    namespace,
    registryUrl:
      typeof registryUrl === 'string'
        ? registryUrl
        : Object.freeze({ secretName: registryUrl.secretName, key: registryUrl.key }),
    keys: keys === undefined ? undefined : Object.freeze({ primary: keys.primary, secondary: keys.secondary }),
    artifactsClaim,
    workspaceName,
  });
}

/** The rendered objects, in apply order (Secret and Certificate before the workloads that mount them). */
export interface RenderedKubernetes {
  readonly documents: readonly K8sObject[];
  /** All documents as one multi-document YAML stream. */
  readonly yaml: string;
}

/**
 * Renders the manifests of one deployment spec: pure, no cluster contacted. `spec` comes from `compileDeploymentSpec`.
 */
export function renderKubernetes(spec: DeploymentSpec, options: RenderKubernetesOptions = {}): RenderedKubernetes {
  if (typeof spec !== 'object' || spec === null || !Object.isFrozen(spec))
    throw new TypeError('spec: expected a DeploymentSpec from compileDeploymentSpec().');
  const config = compileRenderKubernetesOptions(options);
  const names = objectNames(spec.service);
  const external = typeof config.registryUrl === 'object';
  const inputs: PodInputs = {
    keysSecret: names.secret,
    registryUrl:
      typeof config.registryUrl === 'object' ? config.registryUrl : { secretName: names.secret, key: REGISTRY_URL_KEY },
    artifactsClaim: config.artifactsClaim,
    workspaceName: config.workspaceName ?? spec.service,
    tlsSecret:
      spec.tls === undefined ? undefined : spec.tls.mode === 'secret' ? spec.tls.secretName : names.certificateSecret,
  };
  const ns = config.namespace;
  const documents: K8sObject[] = [
    buildSecret(spec, ns, { keys: config.keys, registryUrl: external ? undefined : (config.registryUrl as string) }),
  ];
  if (spec.tls?.mode === 'cert-manager') documents.push(buildCertificate(spec, ns));
  if (config.format !== 'plain') {
    documents.push(buildInferenceService(spec, ns, inputs, config.canaryTrafficPercent));
    documents.push(buildPodDisruptionBudget(spec, ns, kservePodSelector(spec.service), `${names.workload}-predictor`));
  }
  if (config.format !== 'kserve') {
    documents.push(buildDeployment(spec, ns, inputs), buildService(spec, ns));
    if (spec.autoscale) documents.push(buildHorizontalPodAutoscaler(spec, ns));
    documents.push(buildPodDisruptionBudget(spec, ns, selectorLabels(spec), names.workload));
  }
  return Object.freeze({ documents: Object.freeze(documents), yaml: toYamlStream(documents) });
}

/** Multi-document YAML; long strings are never folded (the init script stays a literal block). */
export function toYamlStream(documents: readonly object[]): string {
  return documents.map((doc) => `---\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}

/** File name of a document in `--out DIR`: `<kind>-<name>.yaml`, lowercase. */
export function manifestFileName(doc: K8sObject): string {
  return `${doc.kind.toLowerCase()}-${doc.metadata.name}.yaml`;
}
