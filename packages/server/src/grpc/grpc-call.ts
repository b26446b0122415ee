import { randomUUID } from 'node:crypto';
import { Metadata, status as GrpcStatus, type handleUnaryCall } from '@grpc/grpc-js';
import { GRPC_AUTHORIZATION_KEY, TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { checkBearer } from '../auth/service-keys.js';
import type { ServerTimings } from '@tachyon-serve/core';
import { GRPC_TRACEPARENT_KEY, finishGrpcCall, startGrpcTrace } from '../observability/grpc-observability.js';
import type { InferProtocol } from '../observability/server-metrics.js';
import { formatTraceparent } from '../observability/trace-context.js';
import type { GrpcServerConfig } from './grpc-config.js';
import { GRPC_REQUEST_ID_KEY, toGrpcError } from './grpc-errors.js';

/** What a handler knows about its call besides the message. */
export interface CallContext {
  requestId: string;
  /** performance.now() when the call reached the handler: the start of `queue` in Server-Timing. */
  receivedAt: number;
  /** Sent with the status; a handler adds e.g. `server-timing`. */
  trailers: Metadata;
  /** The client's gRPC deadline as performance.now() milliseconds; undefined when it set none. */
  deadline: number | undefined;
  /** Set by inference handlers once decoded: the model label of the call's metrics and span. */
  model?: string;
  /** Set by inference handlers when the model ran: recorded as stage timings. */
  timings?: ServerTimings;
}

export interface CallPolicy<Req> {
  /**
   * Present for protected calls: the service (model) a request is for, whose keys `authorization: Bearer <key>` must
   * match (unless auth is 'none'). Absent: open to anyone.
   */
  service?: (request: Req) => string;
  /** Refused with TCH_ERR_SERVER_DRAINING while the server drains. */
  refuseWhileDraining: boolean;
  /** Inference methods name their protocol: their calls are counted in `tachyon_requests_total`. */
  protocol?: InferProtocol;
}

/** One finished call, for the server's log. Never holds a key. */
export interface GrpcCallLog {
  requestId: string;
  /** `/package.Service/Method` */
  method: string;
  /** gRPC status code (0 = OK). */
  status: number;
  /** The TCH_ERR_* code, for TachyonErrors. */
  code?: string;
  durationMs: number;
  /** The model of an inference call. */
  model?: string;
  /** An unexpected (non-Tachyon) error, for the log only: clients get a fixed INTERNAL message. */
  error?: unknown;
}

// Printable ASCII without spaces, bounded: a client's id that would break metadata or logs is replaced.
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The request id: metadata `x-request-id` when the client sent a usable one, else a fresh UUID. */
export function requestIdOf(metadata: Metadata): string {
  const given = metadata.get(GRPC_REQUEST_ID_KEY)[0];
  return typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Wraps a unary handler with what every tachyon RPC does: request id (echoed in initial metadata as `x-request-id`
 * and `request_id` — the original Brainwave client reads the latter — and in trailing metadata), drain and key
 * checks, the one error mapping, and one log entry.
 */
export function unaryCall<Req, Res>(
  method: string,
  config: GrpcServerConfig,
  policy: CallPolicy<Req>,
  handler: (request: Req, context: CallContext) => Res | Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const receivedAt = performance.now();
    const requestId = requestIdOf(call.metadata);
    const initial = new Metadata();
    initial.set(GRPC_REQUEST_ID_KEY, requestId);
    initial.set('request_id', requestId);
    const trace = startGrpcTrace(config.observability, call.metadata);
    initial.set(GRPC_TRACEPARENT_KEY, formatTraceparent(trace));
    call.sendMetadata(initial);
    const trailers = new Metadata();
    trailers.set(GRPC_REQUEST_ID_KEY, requestId);
    const context: CallContext = {
      requestId,
      receivedAt,
      trailers,
      deadline: deadlineOf(call.getDeadline(), receivedAt),
    };
    const finish = (status: number, extra: Partial<GrpcCallLog> = {}) => {
      const model = context.model ?? modelOf(policy, call.request);
      config.log?.({
        requestId,
        method,
        status,
        durationMs: performance.now() - receivedAt,
        ...(model === undefined ? {} : { model }),
        ...extra,
      });
      const code = status === GrpcStatus.OK ? 'OK' : (extra.code ?? 'TCH_ERR_SERVER_INTERNAL');
      finishGrpcCall(config.observability, {
        trace,
        requestId,
        method,
        protocol: policy.protocol,
        model,
        status,
        code,
        receivedAt,
        timings: context.timings,
        peer: call.getPeer(),
      });
    };
    const run = async (): Promise<Res> => {
      if (policy.refuseWhileDraining && config.draining()) {
        throw new TachyonError(
          'TCH_ERR_SERVER_DRAINING',
          'The server is shutting down and accepts no new requests; retry on another instance.',
        );
      }
      if (policy.service !== undefined && config.auth !== 'none') {
        const header = call.metadata.get(GRPC_AUTHORIZATION_KEY)[0];
        checkBearer(typeof header === 'string' ? header : undefined, config.auth.keys(policy.service(call.request)));
      }
      return handler(call.request, context);
    };
    run().then(
      (response) => {
        callback(null, response, trailers);
        finish(GrpcStatus.OK);
      },
      (error: unknown) => {
        const mapped = toGrpcError(error, requestId);
        callback(mapped);
        finish(mapped.code, isTachyonError(error) ? { code: error.code } : { error });
      },
    );
  };
}

/** grpc-js gives the deadline as a Date or epoch milliseconds (Infinity: none); the scheduler counts in performance.now(). */
function deadlineOf(deadline: Date | number, receivedAt: number): number | undefined {
  const epochMs = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(epochMs) ? receivedAt + (epochMs - Date.now()) : undefined;
}

/** The model a call names, for its metrics when the handler did not get to set it (a refused or undecodable call). */
function modelOf<Req>(policy: CallPolicy<Req>, request: Req): string | undefined {
  if (policy.protocol === undefined || policy.service === undefined) return undefined;
  try {
    return policy.service(request);
  } catch {
    return undefined;
  }
}
