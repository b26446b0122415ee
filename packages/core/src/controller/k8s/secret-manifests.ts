import type { DeploymentSpec } from '../deployment-spec.js';
import { objectMeta, objectNames, type K8sObject } from './k8s-names.js';
import { PLACEHOLDER_PREFIX } from './workspace-init.js';

/** Key of the registry URL in the rendered Secret. */
export const REGISTRY_URL_KEY = 'registry-url';

/** Stand-ins written when no value was passed: never a generated "secure" value in a file that may be committed. */
export const SECRET_PLACEHOLDERS = Object.freeze({
  primary: `${PLACEHOLDER_PREFIX}-primary-key-at-least-16-characters`,
  secondary: `${PLACEHOLDER_PREFIX}-secondary-key-at-least-16-characters`,
  registryUrl: `${PLACEHOLDER_PREFIX}-postgres://USER:PASSWORD@HOST:5432/DATABASE`,
});

/**
 * v1 Secret with the service keys (`primary`, `secondary`) and, unless the registry URL comes from another Secret,
 * the registry URL (`registryUrl` undefined: it lives in another Secret). Values not passed are placeholders; the pod's init container refuses to start on them.
 */
export function buildSecret(
  spec: DeploymentSpec,
  namespace: string,
  values: { keys: { primary: string; secondary: string } | undefined; registryUrl: string | undefined },
): K8sObject {
  const stringData: Record<string, string> = {
    primary: values.keys?.primary ?? SECRET_PLACEHOLDERS.primary,
    secondary: values.keys?.secondary ?? SECRET_PLACEHOLDERS.secondary,
    ...(values.registryUrl === undefined ? {} : { [REGISTRY_URL_KEY]: values.registryUrl }),
  };
  const placeholders = Object.values(stringData).some((v) => v.startsWith(PLACEHOLDER_PREFIX));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(
      spec,
      objectNames(spec.service).secret,
      namespace,
      placeholders
        ? { ['tachyon.dev/placeholders']: `replace every value starting with ${PLACEHOLDER_PREFIX} before applying` }
        : {},
    ),
    type: 'Opaque',
    stringData,
  };
}

/** cert-manager.io/v1 Certificate for the in-cluster names of the service (plus any extra DNS names). */
export function buildCertificate(spec: DeploymentSpec, namespace: string): K8sObject {
  const tls = spec.tls;
  if (tls?.mode !== 'cert-manager')
    throw new TypeError('spec.tls: a Certificate is rendered only for tls.mode "cert-manager".');
  const service = spec.service;
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: objectMeta(spec, service, namespace),
    spec: {
      secretName: objectNames(service).certificateSecret,
      issuerRef: { name: tls.issuer, kind: tls.issuerKind, group: 'cert-manager.io' },
      dnsNames: [
        ...new Set([
          service,
          `${service}.${namespace}`,
          `${service}.${namespace}.svc`,
          `${service}.${namespace}.svc.cluster.local`,
          ...tls.dnsNames,
        ]),
      ],
      duration: '2160h',
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
      usages: ['server auth', 'digital signature', 'key encipherment'],
    },
  };
}
