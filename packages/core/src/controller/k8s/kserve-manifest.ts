import type { DeploymentSpec } from '../deployment-spec.js';
import { objectMeta, objectNames, type K8sObject } from './k8s-names.js';
import {
  TERMINATION_GRACE_SECONDS,
  initContainer,
  podSecurityContext,
  podVolumes,
  scrapeAnnotations,
  serverContainer,
  type PodInputs,
} from './pod-template.js';

/**
 * KServe runs both ports only in RawDeployment mode (Knative, the serverless mode, allows one port per container);
 * its custom-container conventions: the container is `kserve-container`, the HTTP port `http1`, the gRPC port `h2c`.
 */
export const KSERVE_DEPLOYMENT_MODE = Object.freeze({ 'serving.kserve.io/deploymentMode': 'RawDeployment' });
export const KSERVE_CONTAINER = 'kserve-container';
export const KSERVE_PORTS = Object.freeze({ http: 'http1', grpc: 'h2c' });

/** A `serving.kserve.io/v1beta1` InferenceService with a custom predictor container running `tachyon serve`. */
export function buildInferenceService(
  spec: DeploymentSpec,
  namespace: string,
  inputs: PodInputs,
  canaryTrafficPercent?: number,
): K8sObject {
  const scaling = spec.autoscale
    ? {
        minReplicas: spec.autoscale.minReplicas,
        maxReplicas: spec.autoscale.maxReplicas,
        scaleMetric: 'cpu',
        scaleTarget: spec.autoscale.targetCpuPercent,
      }
    : { minReplicas: spec.replicas, maxReplicas: spec.replicas };
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    // KServe copies the InferenceService's annotations onto the predictor pods: the scrape annotations land there.
    metadata: objectMeta(spec, objectNames(spec.service).workload, namespace, {
      ...KSERVE_DEPLOYMENT_MODE,
      ...scrapeAnnotations(spec),
    }),
    spec: {
      predictor: {
        ...scaling,
        // The share of traffic the latest revision gets; the rest stays on the previous one until promoted.
        ...(canaryTrafficPercent === undefined ? {} : { canaryTrafficPercent }),
        securityContext: podSecurityContext(),
        terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
        initContainers: [initContainer(spec, inputs)],
        containers: [serverContainer(spec, KSERVE_CONTAINER, KSERVE_PORTS, inputs.artifactsClaim !== null)],
        volumes: podVolumes(inputs),
      },
    },
  };
}

/** The label KServe puts on every predictor pod of an InferenceService (the PodDisruptionBudget's selector). */
export function kservePodSelector(service: string): Record<string, string> {
  return { 'serving.kserve.io/inferenceservice': service };
}
