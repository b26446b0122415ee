import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { GRPC_SERVER_TIMING_KEY } from '@tachyon-serve/protocol';
import { infer } from '@tachyon-serve/core';
import { formatServerTiming } from '../codec/server-timing.js';
import type { ModelHost } from '@tachyon-serve/core';
import { unaryCall } from './grpc-call.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { TF_SERVING_SERVICE } from './grpc-protos.js';
import {
  decodePredictRequest,
  encodePredictResponse,
  resolvePredictModel,
  specVersion,
  type ModelSpecMessage,
  type PredictRequestMessage,
} from './tf-serving-codec.js';
import { SIGNATURE_DEF_FIELD, buildSignatureDefMap, checkMetadataFields } from '../codec/tf-serving-model.js';

interface GetModelMetadataRequestMessage {
  model_spec: ModelSpecMessage | null;
  metadata_field: string[];
}

/** How metadata["signature_def"] is packed into a google.protobuf.Any (protobufjs encodes an object with `@type`). */
const SIGNATURE_DEF_MAP_TYPE_URL = 'type.googleapis.com/tensorflow.serving.SignatureDefMap';

/**
 * tensorflow.serving.PredictionService: Predict (the original Brainwave wire protocol) through the one infer(), and
 * GetModelMetadata (the signature_def of `serving_default`; needs the model's key, like KServe ModelMetadata).
 */
export function buildTfServingService(host: ModelHost, config: GrpcServerConfig): UntypedServiceImplementation {
  const model = (message: Pick<PredictRequestMessage, 'model_spec'>) => resolvePredictModel(message, host.names());
  return {
    Predict: unaryCall(
      `/${TF_SERVING_SERVICE}/Predict`,
      config,
      { service: model, refuseWhileDraining: true, protocol: 'tf-serving-grpc' },
      async (message: PredictRequestMessage, context) => {
        context.model = model(message);
        const decoded = decodePredictRequest(message, context.model, context.requestId);
        const response = await infer(
          host,
          decoded.request,
          { maxImagesPerRequest: config.maxImagesPerRequest },
          context,
        );
        context.trailers.set(GRPC_SERVER_TIMING_KEY, formatServerTiming(response.timings, response.batchRows));
        context.timings = response.timings;
        return encodePredictResponse(response, decoded);
      },
    ),
    GetModelMetadata: unaryCall(
      `/${TF_SERVING_SERVICE}/GetModelMetadata`,
      config,
      { service: model, refuseWhileDraining: true },
      (message: GetModelMetadataRequestMessage) => {
        checkMetadataFields(message.metadata_field);
        const name = model(message);
        const metadata = host.metadata(name, specVersion(message.model_spec));
        const version = Number(host.get(name, specVersion(message.model_spec)).version);
        return {
          model_spec: { name, version: { value: Number.isFinite(version) ? version : 0 }, signature_name: '' },
          metadata: {
            [SIGNATURE_DEF_FIELD]: { '@type': SIGNATURE_DEF_MAP_TYPE_URL, ...buildSignatureDefMap(metadata) },
          },
        };
      },
    ),
  };
}
