import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { CLASSIFICATION_PARAMETER, GRPC_SERVER_TIMING_KEY } from '@tachyon-serve/protocol';
import { infer } from '@tachyon-serve/core';
import { formatServerTiming } from '../codec/server-timing.js';
import type { ModelHost } from '@tachyon-serve/core';
import { unaryCall, type CallPolicy } from './grpc-call.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { decodeModelInferRequest, encodeModelInferResponse, type ModelInferRequestMessage } from './kserve-codec.js';
import { KSERVE_SERVICE } from './grpc-protos.js';

/**
 * The same access rules as the HTTP routes: liveness, readiness and server metadata are open; a model's metadata,
 * readiness and inference need that model's key. While draining only ServerLive and ServerReady (false) answer.
 */
const LIVE = { refuseWhileDraining: false } as const;
const OPEN = { refuseWhileDraining: true } as const;
const MODEL: CallPolicy<NameVersion> = { service: (m) => m.name, refuseWhileDraining: true };
const INFER: CallPolicy<ModelInferRequestMessage> = {
  service: (m) => m.model_name,
  refuseWhileDraining: true,
  protocol: 'kserve-grpc',
};

/** KServe v2 extensions this server implements over gRPC. */
export const KSERVE_GRPC_EXTENSIONS: readonly string[] = Object.freeze([CLASSIFICATION_PARAMETER]);

interface NameVersion {
  name: string;
  version: string;
}

/** inference.GRPCInferenceService over the model host; ModelInfer goes through the one infer(). */
export function buildKserveService(host: ModelHost, config: GrpcServerConfig): UntypedServiceImplementation {
  const method = (name: string) => `/${KSERVE_SERVICE}/${name}`;
  return {
    ServerLive: unaryCall(method('ServerLive'), config, LIVE, () => ({ live: true })),
    ServerReady: unaryCall(method('ServerReady'), config, LIVE, () => ({
      ready: !config.draining() && host.isReady(),
    })),
    ModelReady: unaryCall(method('ModelReady'), config, MODEL, (request: NameVersion) => ({
      ready: modelReady(host, request),
    })),
    ServerMetadata: unaryCall(method('ServerMetadata'), config, OPEN, () => ({
      name: config.serverName,
      version: config.serverVersion,
      extensions: [...KSERVE_GRPC_EXTENSIONS],
    })),
    ModelMetadata: unaryCall(method('ModelMetadata'), config, MODEL, (request: NameVersion) =>
      host.metadata(request.name, request.version === '' ? undefined : request.version),
    ),
    ModelInfer: unaryCall(method('ModelInfer'), config, INFER, async (message: ModelInferRequestMessage, context) => {
      context.model = message.model_name;
      const { request, raw } = decodeModelInferRequest(message, context.requestId);
      const response = await infer(host, request, { maxImagesPerRequest: config.maxImagesPerRequest }, context);
      context.trailers.set(GRPC_SERVER_TIMING_KEY, formatServerTiming(response.timings, response.batchRows));
      context.timings = response.timings;
      return encodeModelInferResponse(response, raw);
    }),
  };
}

/** Unknown, loading, failed or wrong-version models are simply not ready (as Triton answers ModelReady). */
function modelReady(host: ModelHost, request: NameVersion): boolean {
  try {
    host.get(request.name, request.version === '' ? undefined : request.version);
    return true;
  } catch {
    return false;
  }
}
