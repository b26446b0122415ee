import type { DeploymentSpec } from '../deployment-spec.js';

/** A Kubernetes object as rendered: plain JSON-able data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Label and annotation keys of tachyon's own (a DNS prefix, as Kubernetes asks of shared keys). */
export const TACHYON_ANNOTATION_PREFIX = 'tachyon.dev/';
export const MODEL_ANNOTATION = `${TACHYON_ANNOTATION_PREFIX}model`;

/** The two ports every pod serves, and their names in a plain Deployment (KServe wants its own, see kserve-manifest). */
export const HTTP_PORT = 8000;
export const GRPC_PORT = 8001;

/** Names of the objects rendered for one service. */
export function objectNames(service: string) {
  return Object.freeze({
    workload: service,
    secret: `${service}-secrets`,
    certificateSecret: `${service}-tls`,
  });
}

/** Labels on every object of a service; the first two are the selector (stable across model versions). */
export function selectorLabels(spec: DeploymentSpec): Record<string, string> {
  return { 'app.kubernetes.io/name': 'tachyon', 'app.kubernetes.io/instance': spec.service };
}

export function commonLabels(spec: DeploymentSpec): Record<string, string> {
  return {
    ...selectorLabels(spec),
    'app.kubernetes.io/component': 'server',
    'app.kubernetes.io/managed-by': 'tachyon',
  };
}

/** Annotations on every object: which registered model version the objects were rendered for. */
export function commonAnnotations(spec: DeploymentSpec): Record<string, string> {
  return { [MODEL_ANNOTATION]: `${spec.model.name}:${spec.model.version}` };
}

export function objectMeta(
  spec: DeploymentSpec,
  name: string,
  namespace: string,
  extraAnnotations: Record<string, string> = {},
): K8sObject['metadata'] {
  return {
    name,
    namespace,
    labels: commonLabels(spec),
    annotations: { ...commonAnnotations(spec), ...extraAnnotations },
  };
}
