/**
 * tachyon — the workflow SDK, mirroring the original's Workspace / Model / Webservice API on top of @tachyon-serve/core
 * (local work), the workspace's deployment daemon (deployments) and @tachyon-serve/client (calls).
 *
 * ```ts
 * import { Model, ServiceDefinition, Webservice, Workspace, defaultClassifier, featurizerStage, imageStage, isTachyonError } from 'tachyon-serve';
 * const def = new ServiceDefinition('mnv2-imagenet');
 * def.pipeline.push(imageStage('torchvision224'), featurizerStage('mobilenetv2', { dtype: 'int8' }), defaultClassifier());
 * await def.save('model_def.zip', { sources: { modelPath: ['../shared/models'] } });
 * const ws = await Workspace.fromConfig();                 // tachyon.json from the working directory upward
 * const model = await Model.register(ws, 'model_def.zip', 'mnv2');
 * let service: Webservice;
 * try {
 *   service = await Webservice.get(ws, 'mnv2-svc');
 * } catch (e) {
 *   if (!isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND')) throw e;
 *   service = await Webservice.deployFromModel(ws, 'mnv2-svc', [model], undefined, { tls: 'self-signed' });
 * }
 * await service.waitForDeployment({ showOutput: true });
 * const scores = await service.run('../shared/images/imagenet-sample/n01440764_tench.JPEG'); // Float32Array(1000)
 * const { top } = await service.classify('../shared/images/imagenet-sample/n01440764_tench.JPEG', { protocol: 'grpc' });
 * console.log(top[0]);                                     // { index: 0, label: 'tench', score: 0.9... }
 * await service.delete();
 * await model.delete();
 * await ws.close();
 * ```
 */
export { Workspace, type WorkspaceOptions } from './workspace.js';
export { Model } from './model.js';
export { Webservice, type ClassifyCallOptions, type ImageConfig, type WebserviceCallOptions } from './webservice.js';
export {
  WEBSERVICE_DEPLOY_DEFAULTS,
  compileDeployConfig,
  toModelRef,
  type ModelLike,
  type WebserviceDeployOptions,
} from './deploy-config.js';
export type { DeploymentControl } from './deployment-control.js';
export { WAIT_DEFAULTS, type WaitOptions } from './wait-for-deployment.js';
export type { ImageInput } from './service-input.js';
export {
  ServiceDefinition,
  defaultClassifier,
  featurizerStage,
  imageStage,
  classifierStage,
  onnxStage,
  kerasStage,
} from '@tachyon-serve/core';
export {
  TachyonError,
  isTachyonError,
  type ServiceState,
  type ServiceStatus,
  type ServiceSpec,
  type ServiceKeysBody,
} from '@tachyon-serve/protocol';
export type { ClassifyResult, ScoredClass } from '@tachyon-serve/client';
export type {
  ArtifactKind,
  CreateWorkspaceOptions,
  DeleteOptions,
  ModelVersionRecord,
  OpenRegistryOptions,
  RegisterOptions,
  WorkspaceConfig,
} from '@tachyon-serve/core';
