import type { DeploymentSpec } from '../deployment-spec.js';
import {
  GRPC_PORT,
  HTTP_PORT,
  commonAnnotations,
  commonLabels,
  objectMeta,
  objectNames,
  selectorLabels,
  type K8sObject,
} from './k8s-names.js';
import {
  TERMINATION_GRACE_SECONDS,
  initContainer,
  podSecurityContext,
  podVolumes,
  scrapeAnnotations,
  serverContainer,
  type PodInputs,
} from './pod-template.js';

const PORTS = Object.freeze({ http: 'http', grpc: 'grpc' });

/**
 * apps/v1 Deployment: rolling updates that never drop below the wanted pods. With autoscale the replica count is
 * left to the HorizontalPodAutoscaler (a fixed `replicas` would be reset on every apply).
 */
export function buildDeployment(spec: DeploymentSpec, namespace: string, inputs: PodInputs): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: objectMeta(spec, objectNames(spec.service).workload, namespace),
    spec: {
      ...(spec.autoscale ? {} : { replicas: spec.replicas }),
      selector: { matchLabels: selectorLabels(spec) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: commonLabels(spec),
          annotations: { ...commonAnnotations(spec), ...scrapeAnnotations(spec) },
        },
        spec: {
          securityContext: podSecurityContext(),
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          initContainers: [initContainer(spec, inputs)],
          containers: [serverContainer(spec, 'tachyon', PORTS, inputs.artifactsClaim !== null)],
          volumes: podVolumes(inputs),
        },
      },
    },
  };
}

/** v1 Service: HTTP on 8000 and gRPC on 8001 (HTTP/2 cleartext unless the pods serve TLS). */
export function buildService(spec: DeploymentSpec, namespace: string): K8sObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(spec, objectNames(spec.service).workload, namespace),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(spec),
      ports: [
        {
          name: PORTS.http,
          port: HTTP_PORT,
          targetPort: PORTS.http,
          protocol: 'TCP',
          appProtocol: spec.tls ? 'https' : 'http',
        },
        {
          name: PORTS.grpc,
          port: GRPC_PORT,
          targetPort: PORTS.grpc,
          protocol: 'TCP',
          ...(spec.tls ? {} : { appProtocol: 'kubernetes.io/h2c' }),
        },
      ],
    },
  };
}

/** autoscaling/v2 HorizontalPodAutoscaler on average CPU utilization (relative to the CPU request). */
export function buildHorizontalPodAutoscaler(spec: DeploymentSpec, namespace: string): K8sObject {
  const autoscale = spec.autoscale!;
  const name = objectNames(spec.service).workload;
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: objectMeta(spec, name, namespace),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: autoscale.minReplicas,
      maxReplicas: autoscale.maxReplicas,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscale.targetCpuPercent } },
        },
      ],
    },
  };
}

/**
 * policy/v1 PodDisruptionBudget: a voluntary disruption (node drain, cluster upgrade) takes at most one pod of the
 * service at a time. `selector`: the plain Deployment's pods, or KServe's predictor pods.
 */
export function buildPodDisruptionBudget(
  spec: DeploymentSpec,
  namespace: string,
  selector: Record<string, string>,
  name: string,
): K8sObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(spec, name, namespace),
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}
