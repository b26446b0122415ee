/**
 * core/controller — deployments: the desired state of a service, its states and allowed transitions, the local
 * reconciler (one supervised `tachyon serve` process per service) and the Kubernetes rendering.
 *
 * ```ts
 * import { compileDeploymentSpec, renderKubernetes, DeploymentController } from '@tachyon-serve/core';
 * const spec = compileDeploymentSpec({ service: 'vision', model: { name: 'resnet', version: 3 }, replicas: 2 });
 * const { yaml } = renderKubernetes(spec, { registryUrl: 'postgres://tachyon@db/tachyon', format: 'plain' });
 *
 * // Local: the daemon (packages/server/src/daemon) runs this over the workspace registry's store.
 * const controller = new DeploymentController({ workspaceRoot, store, launcher });
 * await controller.start();                                                  // reconciles every row
 * await controller.apply('vision', { model: { name: 'resnet', version: 3 }, tls: 'self-signed' });
 * ```
 */
export * from './deployment-spec.js';
export * from './k8s/index.js';
export * from './swarm/index.js';
export * from './deployment-states.js';
export * from './service-spec.js';
export * from './supervisor-options.js';
export { RotatingLog, ROTATING_LOG_DEFAULTS, type RotatingLogOptions } from './rotating-log.js';
export { daemonDir, servicePaths, writePrivateFile, type ServicePaths } from './service-files.js';
export {
  EXIT_PERMANENT_FAILURE,
  ServiceSupervisor,
  type ReadyInfo,
  type ServiceLauncher,
  type SupervisedService,
  type SupervisorEvent,
} from './service-supervisor.js';
/** Whether a process of this host is alive (the registry's owner check, under the name the daemon code uses). */
export { isProcessAlive as isAlive } from '../registry/process-owner.js';
export { DeploymentController, type DeploymentControllerOptions } from './deployment-controller.js';
