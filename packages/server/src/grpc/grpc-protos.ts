import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  HEALTH_PROTO,
  HEALTH_SERVICE,
  KSERVE_PROTO,
  KSERVE_SERVICE,
  PROTO_LOADER_OPTIONS,
  TF_MODEL_PROTO,
  TF_MODEL_SERVICE,
  TF_SERVING_PROTO,
  TF_SERVING_SERVICE,
} from '@tachyon-serve/protocol';

// The proto file names, service names and loading options are the client's too: they live in @tachyon-serve/protocol.
export {
  HEALTH_PROTO,
  HEALTH_SERVICE,
  KSERVE_PROTO,
  KSERVE_SERVICE,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  TF_MODEL_PROTO,
  TF_MODEL_SERVICE,
  TF_SERVING_PROTO,
  TF_SERVING_SERVICE,
  grpcProtoFiles,
} from '@tachyon-serve/protocol';

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
    const definition = protoLoader.loadSync([KSERVE_PROTO, TF_SERVING_PROTO, TF_MODEL_PROTO, HEALTH_PROTO], {
      ...PROTO_LOADER_OPTIONS,
    });
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
