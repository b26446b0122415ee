import type { ModelHost } from '../model-host/model-host.js';
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
}

/** What the serve helper drives: set `draining` on SIGTERM (app.close() sets it too) and read the config. */
export interface HttpServerState {
  readonly config: HttpConfig;
  readonly host: ModelHost;
  /** New requests get TCH_ERR_SERVER_DRAINING (503) and readiness turns false; liveness stays true. */
  draining: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    tachyon: RequestContext;
  }
  interface FastifyInstance {
    tachyon: HttpServerState;
  }
}
