/**
 * @tachyon-serve/server — protocol adapters (HTTP with fastify, gRPC with grpc-js) over the engine of @tachyon-serve/core
 * (ModelHost, ServedModel, infer), plus security, metrics and lifecycle.
 *
 * ```ts
 * import { ModelHost, compileModelSources, infer } from '@tachyon-serve/core';
 * const host = await ModelHost.create({ sources: compileModelSources({ modelPath: ['../shared/models'] }) });
 * await host.load('mnv2', { kind: 'model', ref: 'mobilenetv2-int8' });
 * const res = await infer(host, { modelName: 'mnv2', inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [jpeg] }],
 *   outputs: [{ name: 'scores', classification: 5 }] }, { maxImagesPerRequest: 64 });
 * await host.close();
 * ```
 */
export * from './auth/service-keys.js';
export * from './grpc/grpc-server.js';
export * from './grpc/grpc-config.js';
export * from './grpc/grpc-protos.js';
export { GRPC_ERROR_CODE_KEY, GRPC_ERROR_DETAILS_KEY, GRPC_REQUEST_ID_KEY, toGrpcError } from './grpc/grpc-errors.js';
export type { GrpcCallLog } from './grpc/grpc-call.js';
export { formatServerTiming } from './codec/server-timing.js';
export { decodeRawBytes, encodeRawBytes } from './codec/raw-tensor.js';
export * from './http/http-options.js';
export * from './http/http-server.js';
export type { HttpServerState, RouteAccess, RequestContext } from './http/fastify-types.js';
export { toErrorBody, toTachyonError, type HttpErrorBody } from './http/error-mapping.js';
export { REQUEST_ID_HEADER, DEADLINE_HEADER, requestIdFor } from './http/request-hooks.js';
export { INFERENCE_HEADER } from './http/codec/kserve-request.js';
export { buildOpenApiDocument } from './http/openapi/openapi-document.js';
export * from './observability/observability-options.js';
export { tracingFromOtelEnv } from './observability/otel-env.js';
export { Observability, type ObservabilityOptions } from './observability/observability.js';
export {
  ServerMetrics,
  UNKNOWN_MODEL,
  type InferProtocol,
  type QueueStats,
  type RequestMetric,
  type ServerMetricsOptions,
} from './observability/server-metrics.js';
export type { MetricsHistory, HistoryBucket, HistoryModelStats } from './observability/metrics-history.js';
export {
  formatTraceparent,
  parseTraceparent,
  parseTracestate,
  type TraceContext,
} from './observability/trace-context.js';
export * from './serve/index.js';
export * from './daemon/index.js';
