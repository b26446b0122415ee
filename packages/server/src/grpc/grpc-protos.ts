import * as protoLoader from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { KSERVE_PROTO, KSERVE_SERVICE, PROTO_LOADER_OPTIONS, TF_SERVING_PROTO, TF_SERVING_SERVICE } from '@tachyon/protocol';

// The proto file names, service names and loading options are the client's too: they live in @tachyon/protocol.
export { KSERVE_PROTO, KSERVE_SERVICE, PROTO_LOADER_OPTIONS, PROTO_ROOT, TF_SERVING_PROTO, TF_SERVING_SERVICE, grpcProtoFiles } from '@tachyon/protocol';

export interface TachyonGrpcServices {
  kserve: ServiceDefinition;
  tfServing: ServiceDefinition;
}

let loaded: TachyonGrpcServices | undefined;

/** Loads both services from the published .proto files (once per process). */
export function loadGrpcServices(): TachyonGrpcServices {
  if (loaded === undefined) {
    const definition = protoLoader.loadSync([KSERVE_PROTO, TF_SERVING_PROTO], { ...PROTO_LOADER_OPTIONS, includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs] });
    loaded = {
      kserve: definition[KSERVE_SERVICE] as ServiceDefinition,
      tfServing: definition[TF_SERVING_SERVICE] as ServiceDefinition,
    };
  }
  return loaded;
}
