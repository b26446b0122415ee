import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The published .proto files (packages/protocol/proto), relative to {@link PROTO_ROOT}; import paths as upstream. */
export const KSERVE_PROTO = 'kserve/grpc_service.proto';
export const TF_SERVING_PROTO = 'tensorflow_serving/apis/prediction_service.proto';
export const TF_MODEL_PROTO = 'tensorflow_serving/apis/model_service.proto';
/** The standard gRPC health checking protocol (vendored from grpc/grpc-proto). */
export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/** The folder holding the published .proto files: pass it as the include path (`-I`) to protoc or proto-loader. */
export const PROTO_ROOT: string = fileURLToPath(new URL('../../proto', import.meta.url));

/** Fully qualified service names, as on the wire (`/inference.GRPCInferenceService/ModelInfer`). */
export const KSERVE_SERVICE = 'inference.GRPCInferenceService';
export const TF_SERVING_SERVICE = 'tensorflow.serving.PredictionService';
export const TF_MODEL_SERVICE = 'tensorflow.serving.ModelService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/** The options of `@grpc/proto-loader`'s `loadSync` that tachyon uses (a structural subset of its `Options`). */
export interface ProtoLoaderOptions {
  readonly keepCase: boolean;
  readonly longs: NumberConstructor;
  readonly enums: StringConstructor;
  readonly bytes: BufferConstructor;
  readonly defaults: boolean;
  readonly oneofs: boolean;
  readonly includeDirs: string[];
}

/**
 * How client and server load the protos, so both decode messages alike: field names as in the .proto (snake_case),
 * 64-bit integers as numbers (shapes and parameters never exceed 2^53), bytes as Buffers, defaults filled in, the
 * name of the set oneof member in a virtual field (`parameter_choice`, `version_choice`). Spread it
 * (`{ ...PROTO_LOADER_OPTIONS }`) where proto-loader wants a mutable object.
 */
export const PROTO_LOADER_OPTIONS: ProtoLoaderOptions = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

/** Absolute paths of the two entry .proto files (each imports the rest from {@link PROTO_ROOT}). */
export function grpcProtoFiles(): { kserve: string; tfServing: string } {
  return { kserve: join(PROTO_ROOT, KSERVE_PROTO), tfServing: join(PROTO_ROOT, TF_SERVING_PROTO) };
}
