/**
 * core/controller — deployments: the desired state of a service (`DeploymentSpec`) and its Kubernetes rendering.
 *
 * ```ts
 * import { compileDeploymentSpec, renderKubernetes } from '@tachyon/core';
 * const spec = compileDeploymentSpec({ service: 'vision', model: { name: 'resnet', version: 3 }, replicas: 2 });
 * const { yaml } = renderKubernetes(spec, { registryUrl: 'postgres://tachyon@db/tachyon', format: 'plain' });
 * ```
 */
export * from './deployment-spec.js';
export * from './k8s/index.js';
