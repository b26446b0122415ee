import { type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { TachyonError } from '@tachyon-serve/protocol';
import type { ModelHost } from '@tachyon-serve/core';
import { unaryCall } from './grpc-call.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { HEALTH_SERVICE, KSERVE_SERVICE, TF_MODEL_SERVICE, TF_SERVING_SERVICE } from './grpc-protos.js';

/** grpc.health.v1.HealthCheckResponse.ServingStatus, as proto-loader spells enums (`enums: String`). */
export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** The service names that stand for the whole server: `""` (the spec's overall health) and tachyon's gRPC services. */
export const SERVER_HEALTH_SERVICES: readonly string[] = Object.freeze([
  '',
  KSERVE_SERVICE,
  TF_SERVING_SERVICE,
  TF_MODEL_SERVICE,
  HEALTH_SERVICE,
]);

/** How often an open Watch looks at the server's state (model loads and drains have no event to subscribe to). */
export const HEALTH_WATCH_INTERVAL_MS = 200;

interface HealthCheckRequest {
  service: string;
}

/**
 * The status of `service`: the server (`""` or a tachyon gRPC service name) serves when it is not draining and ready;
 * a model (its served name) when the server is not draining and the model has a ready version. Loading, failed and
 * unloading models are NOT_SERVING; a name the server does not know is undefined.
 */
export function servingStatus(host: ModelHost, config: GrpcServerConfig, service: string): ServingStatus | undefined {
  const draining = config.draining();
  if (SERVER_HEALTH_SERVICES.includes(service)) return !draining && host.isReady() ? 'SERVING' : 'NOT_SERVING';
  if (!host.names().includes(service)) return undefined;
  return !draining && host.isReady(service) ? 'SERVING' : 'NOT_SERVING';
}

/**
 * grpc.health.v1.Health (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): Check, Watch and List.
 * Open to all callers like ServerLive (probes carry no keys), and answered while draining (NOT_SERVING). A Watch
 * ends (status OK) once the server drains, after sending NOT_SERVING, so a graceful shutdown need not wait for it.
 */
export function buildHealthService(host: ModelHost, config: GrpcServerConfig): UntypedServiceImplementation {
  const watches = new Set<() => void>();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    for (const poll of watches) poll();
  };
  return {
    Check: unaryCall(
      `/${HEALTH_SERVICE}/Check`,
      config,
      { refuseWhileDraining: false },
      (request: HealthCheckRequest) => {
        const status = servingStatus(host, config, request.service);
        if (status === undefined) throw unknownService(request.service);
        return { status };
      },
    ),
    List: unaryCall(`/${HEALTH_SERVICE}/List`, config, { refuseWhileDraining: false }, () => {
      const statuses: Record<string, { status: ServingStatus }> = {};
      for (const service of [...SERVER_HEALTH_SERVICES, ...host.names()])
        statuses[service] = { status: servingStatus(host, config, service) ?? 'SERVICE_UNKNOWN' };
      return { statuses };
    }),
    Watch: (call: ServerWritableStream<HealthCheckRequest, { status: ServingStatus }>) => {
      const service = call.request.service;
      let last: ServingStatus | undefined;
      const stop = () => {
        watches.delete(poll);
        if (watches.size === 0 && timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
        }
      };
      const poll = () => {
        if (call.cancelled) return stop();
        const now = servingStatus(host, config, service) ?? 'SERVICE_UNKNOWN';
        if (now !== last) {
          last = now;
          call.write({ status: now });
        }
        if (config.draining()) {
          stop();
          call.end();
        }
      };
      call.on('cancelled', stop);
      watches.add(poll);
      timer ??= setInterval(tick, HEALTH_WATCH_INTERVAL_MS).unref();
      poll();
    },
  };
}

/** Check's answer for a name it does not know: TCH_ERR_MODEL_NOT_FOUND is gRPC NOT_FOUND, as the protocol requires. */
function unknownService(service: string): TachyonError {
  return new TachyonError(
    'TCH_ERR_MODEL_NOT_FOUND',
    `No service or model "${service}" is known to the health service.`,
    { details: { service } },
  );
}
