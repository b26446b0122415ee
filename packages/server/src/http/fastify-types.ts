import type { ServerTimings } from '@tachyon-serve/core';
import type { ModelHost } from '@tachyon-serve/core';
import type { Observability } from '../observability/observability.js';
import type { InferProtocol } from '../observability/server-metrics.js';
import type { TraceContext } from '../observability/trace-context.js';
import type { HttpConfig } from './http-options.js';

/**
 * Who may call a route: `open` (anyone), `live` (anyone, even while draining: the liveness probe), `service` (a
 * service key for the model named in the URL), `admin` (the admin key). Every route declares one.
 */
export type RouteAccess = 'open' | 'live' | 'service' | 'admin';

/** Per request, set by the onRequest hook. Times are `performance.now()` milliseconds. */
export interface RequestContext {
  receivedAt: number;
  /** From `x-request-timeout-ms`; undefined when the client sent none. */
  deadline: number | undefined;
  timeoutMs: number | undefined;
  /** The server span of this request (its id is in the response's `traceparent`). */
  trace: TraceContext;
  /** Set by runInfer when the model ran: recorded in the metrics and spans by the onResponse hook. */
  timings?: ServerTimings;
  /** The TCH_ERR_* code and message of the error answered, set by the onError hook. */
  error?: { code: string; message: string };
}

/** What the serve helper drives: set `draining` on SIGTERM (app.close() sets it too) and read the config. */
export interface HttpServerState {
  readonly config: HttpConfig;
  readonly host: ModelHost;
  /** Metrics and tracing, shared with the gRPC server when the serve helper made both. */
  readonly observability: Observability;
  /** New requests get TCH_ERR_SERVER_DRAINING (503) and readiness turns false; liveness stays true. */
  draining: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** Inference routes name their protocol: their requests are counted in `tachyon_requests_total`. */
    protocol?: InferProtocol;
  }
  interface FastifyRequest {
    tachyon: RequestContext;
  }
  interface FastifyInstance {
    tachyon: HttpServerState;
  }
}
