import type { Metadata } from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import type { ServerTimings } from '@tachyon-serve/core';
import type { Observability } from './observability.js';
import type { InferProtocol } from './server-metrics.js';
import { startTrace, type TraceContext } from './trace-context.js';

/** gRPC metadata keys of W3C Trace Context (the same names as the HTTP headers). */
import { GRPC_TRACEPARENT_KEY, GRPC_TRACESTATE_KEY } from '@tachyon-serve/protocol';

export { GRPC_TRACEPARENT_KEY, GRPC_TRACESTATE_KEY };

// OpenTelemetry's semantic conventions: these statuses mark a gRPC server span as failed (client mistakes do not).
const SERVER_ERROR_STATUSES = new Set([2, 4, 12, 13, 14, 15]);

/** The server span of a call from its metadata; without an Observability the caller's context is only propagated. */
export function startGrpcTrace(observability: Observability | undefined, metadata: Metadata): TraceContext {
  const parent = metadata.get(GRPC_TRACEPARENT_KEY)[0];
  const state = metadata.get(GRPC_TRACESTATE_KEY)[0];
  return observability?.startTrace(parent, state) ?? startTrace(parent, state, { recording: false, sampleRatio: 0 });
}

export interface FinishedCall {
  trace: TraceContext;
  requestId: string;
  /** `/package.Service/Method` */
  method: string;
  protocol: InferProtocol | undefined;
  model: string | undefined;
  /** gRPC status (0 = OK). */
  status: number;
  /** 'OK' or the TCH_ERR_* code. */
  code: string;
  receivedAt: number;
  timings: ServerTimings | undefined;
  /** grpc-js's `call.getPeer()`: `ip:port` of the client (or another transport's address). */
  peer?: string;
}

/** Records a finished call in the metrics and as a span (the gRPC counterpart of the HTTP onResponse hook). */
export function finishGrpcCall(observability: Observability | undefined, call: FinishedCall): void {
  observability?.finish({
    trace: call.trace,
    requestId: call.requestId,
    name: call.method.replace(/^\//, ''),
    protocol: call.protocol,
    model: call.model,
    code: call.code,
    receivedAt: call.receivedAt,
    finishedAt: performance.now(),
    timings: call.timings,
    attributes: rpcSpanAttributes(call),
    serverError: SERVER_ERROR_STATUSES.has(call.status),
  });
}

/**
 * The gRPC server span attributes of the RPC semantic conventions v1.37.0 (the set current OpenTelemetry gRPC
 * instrumentations emit; the renamed release-candidate set is opt-in there): span name `{rpc.service}/{rpc.method}`,
 * `rpc.system` grpc, `rpc.service` the fully qualified service, `rpc.method` the method alone, `rpc.grpc.status_code`
 * the numeric status, and the peer's address.
 */
export function rpcSpanAttributes(call: Pick<FinishedCall, 'method' | 'status' | 'peer'>): Attributes {
  const [service = '', method = ''] = call.method.replace(/^\//, '').split('/');
  const attributes: Attributes = {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'rpc.grpc.status_code': call.status,
  };
  const peer = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(call.peer ?? '');
  if (peer) {
    attributes['network.peer.address'] = peer[1] ?? peer[2]!;
    attributes['network.peer.port'] = Number(peer[3]);
  }
  return attributes;
}
