import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  DEADLINE_HEADER,
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  TachyonError,
} from '@tachyon-serve/protocol';
import { checkBearer } from '../auth/service-keys.js';
import { logIncoming, registerObservabilityHooks } from '../observability/http-observability.js';
import { formatTraceparent } from '../observability/trace-context.js';
import type { HttpConfig } from './http-options.js';
import { RateLimiter } from './rate-limiter.js';
import './fastify-types.js';

export { DEADLINE_HEADER, REQUEST_ID_HEADER };
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The caller's `x-request-id` when it is 1-128 visible ASCII characters, else a fresh UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && given.length <= 128 && /^[\x21-\x7e]+$/.test(given) ? given : randomUUID();
}

/**
 * The one onRequest hook, run after routing and before the body is read, in the order that costs least for a
 * request that will be refused: request id + clock + trace, drain gate, auth, rate limit, deadline header. Then the
 * observability hooks: metrics, span and the one debug log line per request, on response.
 */
export function registerRequestHooks(app: FastifyInstance, config: HttpConfig): void {
  const limiter = config.rateLimit && new RateLimiter(config.rateLimit.requestsPerSecond, config.rateLimit.burst);
  app.decorateRequest('tachyon', null as unknown as FastifyRequest['tachyon']);
  app.addHook('onRequest', async (request, reply) => {
    const receivedAt = performance.now();
    const trace = app.tachyon.observability.startTrace(
      request.headers[TRACEPARENT_HEADER],
      request.headers[TRACESTATE_HEADER],
    );
    request.tachyon = { receivedAt, deadline: undefined, timeoutMs: undefined, trace };
    void reply.header(REQUEST_ID_HEADER, request.id);
    void reply.header(TRACEPARENT_HEADER, formatTraceparent(trace));
    logIncoming(request);
    const access = request.is404 ? 'open' : (request.routeOptions.config.access ?? 'open');
    if (app.tachyon.draining && access !== 'live') {
      throw new TachyonError(
        'TCH_ERR_SERVER_DRAINING',
        'The server is shutting down and accepts no new requests; retry on another replica.',
      );
    }
    let limitId: string | undefined;
    if (access === 'service' && config.auth !== 'none') {
      const service = (request.params as Record<string, string | undefined>)['name'] ?? '';
      checkBearer(request.headers.authorization, config.auth.keys(service));
      if (limiter) limitId = digest(request.headers.authorization ?? '');
    } else if (access === 'admin' && config.auth !== 'none') {
      if (config.auth.adminKey === undefined) {
        throw new TachyonError('TCH_ERR_AUTH_INVALID', 'Management routes are disabled: the server has no admin key.');
      }
      checkBearer(request.headers.authorization, [config.auth.adminKey]);
    } else if (access === 'service') {
      limitId = `ip:${request.ip}`;
    }
    if (limiter && limitId !== undefined) {
      const retryAfterMs = limiter.take(limitId, receivedAt);
      if (retryAfterMs > 0) {
        throw new TachyonError('TCH_ERR_LIMIT_RATE', `Too many requests for this key; retry in ${retryAfterMs} ms.`, {
          details: {
            retryAfterMs,
            requestsPerSecond: config.rateLimit!.requestsPerSecond,
            burst: config.rateLimit!.burst,
          },
        });
      }
    }
    const timeout = request.headers[DEADLINE_HEADER];
    if (timeout !== undefined) {
      const ms = typeof timeout === 'string' && /^\d{1,12}$/.test(timeout.trim()) ? Number(timeout.trim()) : NaN;
      if (!(ms >= 1)) {
        throw new TachyonError(
          'TCH_ERR_INFER_INVALID',
          `Header "${DEADLINE_HEADER}" must be a positive integer number of milliseconds.`,
          {
            details: { header: DEADLINE_HEADER },
          },
        );
      }
      request.tachyon.timeoutMs = Math.min(ms, MAX_TIMER_MS);
      request.tachyon.deadline = receivedAt + request.tachyon.timeoutMs;
    }
  });
  registerObservabilityHooks(app, config);
  // app.close() (the serve helper's drain) refuses new requests with our error body instead of fastify's.
  app.addHook('preClose', async () => {
    app.tachyon.draining = true;
  });
  // While draining, every answer (in-flight ones too) closes its keep-alive connection, so close() need not wait
  // for keepAliveTimeout and clients reconnect elsewhere.
  app.addHook('onSend', async (_request, reply) => {
    if (app.tachyon.draining) void reply.header('connection', 'close');
  });
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
