import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { modelVersionStatus } from '../codec/tf-serving-model.js';
import type { ModelHost } from '@tachyon-serve/core';
import { unaryCall } from './grpc-call.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { TF_MODEL_SERVICE } from './grpc-protos.js';
import { resolvePredictModel, specVersion, type ModelSpecMessage } from './tf-serving-codec.js';

interface GetModelStatusRequestMessage {
  model_spec: ModelSpecMessage | null;
}

/**
 * tensorflow.serving.ModelService/GetModelStatus: the state of every version of a model (or of the one model_spec
 * names), the same answer as REST `GET /v1/models/{name}`. Needs the model's key; answered while draining, as a
 * status is what a caller asks then. An empty name means the only served model, as for Predict.
 */
export function buildTfModelService(host: ModelHost, config: GrpcServerConfig): UntypedServiceImplementation {
  const model = (message: GetModelStatusRequestMessage) => resolvePredictModel(message, host.names());
  return {
    GetModelStatus: unaryCall(
      `/${TF_MODEL_SERVICE}/GetModelStatus`,
      config,
      { service: model, refuseWhileDraining: false },
      async (message: GetModelStatusRequestMessage) => {
        const statuses = await modelVersionStatus(host, model(message), specVersion(message.model_spec));
        return {
          model_version_status: statuses.map((s) => ({ version: Number(s.version), state: s.state, status: s.status })),
        };
      },
    ),
  };
}
