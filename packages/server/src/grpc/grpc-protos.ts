import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';

/** The published .proto files (packages/protocol/proto), relative to {@link PROTO_ROOT}; import paths as upstream. */
export const KSERVE_PROTO = 'kserve/grpc_service.proto';
export const TF_SERVING_PROTO = 'tensorflow_serving/apis/prediction_service.proto';
export const TF_MODEL_PROTO = 'tensorflow_serving/apis/model_service.proto';
/** The standard gRPC health checking protocol (vendored from grpc/grpc-proto). */
export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/** The folder holding the published .proto files: pass it as the include path (`-I`) to protoc or proto-loader. */
export const PROTO_ROOT: string = (() => {
  const kserve = createRequire(import.meta.url).resolve(`@tachyon/protocol/proto/${KSERVE_PROTO}`);
  return dirname(dirname(kserve));
})();

/** Fully qualified service names, as on the wire (`/inference.GRPCInferenceService/ModelInfer`). */
export const KSERVE_SERVICE = 'inference.GRPCInferenceService';
export const TF_SERVING_SERVICE = 'tensorflow.serving.PredictionService';
export const TF_MODEL_SERVICE = 'tensorflow.serving.ModelService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

/**
 * How the server (and its tests) load the protos: field names as in the .proto (snake_case), 64-bit integers as
 * numbers (shapes and parameters never exceed 2^53), bytes as Buffers, defaults filled in, the name of the set
 * oneof member in a virtual field (`parameter_choice`, `version_choice`).
 */
export const PROTO_LOADER_OPTIONS: Readonly<protoLoader.Options> = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
});

export interface TachyonGrpcServices {
  kserve: ServiceDefinition;
  tfServing: ServiceDefinition;
  tfModel: ServiceDefinition;
  health: ServiceDefinition;
  /** Every message and service of the protos above: what server reflection describes. */
  definition: protoLoader.PackageDefinition;
}

let loaded: TachyonGrpcServices | undefined;

/** Loads the services from the published .proto files (once per process). */
export function loadGrpcServices(): TachyonGrpcServices {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync([KSERVE_PROTO, TF_SERVING_PROTO, TF_MODEL_PROTO, HEALTH_PROTO], { ...PROTO_LOADER_OPTIONS });
    loaded = {
      kserve: definition[KSERVE_SERVICE] as ServiceDefinition,
      tfServing: definition[TF_SERVING_SERVICE] as ServiceDefinition,
      tfModel: definition[TF_MODEL_SERVICE] as ServiceDefinition,
      health: definition[HEALTH_SERVICE] as ServiceDefinition,
      definition,
    };
  }
  return loaded;
}

/** Absolute paths of the two entry .proto files (each imports the rest from {@link PROTO_ROOT}). */
export function grpcProtoFiles(): { kserve: string; tfServing: string } {
  return { kserve: join(PROTO_ROOT, KSERVE_PROTO), tfServing: join(PROTO_ROOT, TF_SERVING_PROTO) };
}
