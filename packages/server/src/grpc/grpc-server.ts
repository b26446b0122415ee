import { Server, type ServerCredentials } from '@grpc/grpc-js';
import type { ModelHost } from '@tachyon-serve/core';
import { compileGrpcServerConfig, type GrpcServerConfig, type GrpcServerOptions } from './grpc-config.js';
import { loadGrpcServices } from './grpc-protos.js';
import { buildHealthService } from './health-service.js';
import { buildKserveService } from './kserve-service.js';
import { addReflection } from './reflection-service.js';
import { buildTfModelService } from './tf-model-service.js';
import { buildTfServingService } from './tf-serving-service.js';

/**
 * A grpc-js Server with `inference.GRPCInferenceService` (KServe v2), `tensorflow.serving.PredictionService`,
 * `tensorflow.serving.ModelService`, `grpc.health.v1.Health` and server reflection registered over `host`; not bound (see bindGrpcServer). Stop it with `tryShutdown` (finishes in-flight calls) or
 * `forceShutdown`.
 */
export function createGrpcServer(host: ModelHost, options: GrpcServerOptions | GrpcServerConfig): Server {
  const config = compileGrpcServerConfig(options);
  const server = new Server({
    'grpc.max_receive_message_length': config.maxReceiveMessageLength,
    'grpc.max_send_message_length': -1,
  });
  const services = loadGrpcServices();
  server.addService(services.kserve, buildKserveService(host, config));
  server.addService(services.tfServing, buildTfServingService(host, config));
  server.addService(services.tfModel, buildTfModelService(host, config));
  server.addService(services.health, buildHealthService(host, config));
  addReflection(server, services.definition);
  return server;
}

/** Binds `address` (`host:port`, port 0 = pick a free one) with TLS or insecure credentials; resolves to the port. */
export function bindGrpcServer(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
  });
}
