import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { GRPC_SERVER_TIMING_KEY } from '@tachyon/protocol';
import { infer } from '@tachyon/core';
import { formatServerTiming } from '../codec/server-timing.js';
import type { ModelHost } from '@tachyon/core';
import { unaryCall } from './grpc-call.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { TF_SERVING_SERVICE } from './grpc-protos.js';
import { decodePredictRequest, encodePredictResponse, resolvePredictModel, type PredictRequestMessage } from './tf-serving-codec.js';

/** tensorflow.serving.PredictionService/Predict (the original Brainwave wire protocol) through the one infer(). */
export function buildTfServingService(host: ModelHost, config: GrpcServerConfig): UntypedServiceImplementation {
  const model = (message: PredictRequestMessage) => resolvePredictModel(message, host.names());
  return {
    Predict: unaryCall(`/${TF_SERVING_SERVICE}/Predict`, config, { service: model, refuseWhileDraining: true, protocol: 'tf-serving-grpc' }, async (message: PredictRequestMessage, context) => {
      context.model = model(message);
      const decoded = decodePredictRequest(message, context.model, context.requestId);
      const response = await infer(host, decoded.request, { maxImagesPerRequest: config.maxImagesPerRequest }, context);
      context.trailers.set(GRPC_SERVER_TIMING_KEY, formatServerTiming(response.timings, response.batchRows));
      context.timings = response.timings;
      return encodePredictResponse(response, decoded);
    }),
  };
}
