import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toTachyonError } from '../http/error-mapping.js';
import type { HttpConfig } from '../http/http-options.js';
import '../http/fastify-types.js';

export { TRACEPARENT_HEADER, TRACESTATE_HEADER } from '@tachyon/protocol';

/**
 * The HTTP side of observability, in one place per request: the onError hook notes the TCH code (mapped exactly as
 * the error handler maps it), and the onResponse hook records the metrics and the span, and writes the one
 * per-request log line (debug): request id, method, url, model, status, TCH code, total ms.
 */
export function registerObservabilityHooks(app: FastifyInstance, config: HttpConfig): void {
  app.addHook('onError', async (request, _reply, error) => {
    if (request.tachyon === null) return;
    const mapped = toTachyonError(error, config);
    request.tachyon.error = { code: mapped.code, message: mapped.message };
  });
  app.addHook('onResponse', async (request, reply) => {
    const context = request.tachyon;
    if (context === null) return;
    const finishedAt = performance.now();
    const status = reply.statusCode;
    const code = status < 400 ? 'OK' : (context.error?.code ?? 'TCH_ERR_SERVER_INTERNAL');
    const routeConfig = request.is404 ? undefined : request.routeOptions.config;
    const name = (request.params as Record<string, unknown> | undefined)?.['name'];
    const model = typeof name === 'string' ? name : undefined;
    const protocol = routeConfig?.protocol;
    const totalMs = context.timings?.totalMs ?? finishedAt - context.receivedAt;
    app.tachyon.observability.finish({
      trace: context.trace,
      requestId: request.id,
      name: `${request.method} ${request.is404 ? 'unmatched route' : request.routeOptions.url}`,
      protocol,
      model,
      code,
      receivedAt: context.receivedAt,
      finishedAt,
      timings: context.timings,
      attributes: { 'http.request.method': request.method, 'http.response.status_code': status, ...(request.is404 ? {} : { 'http.route': request.routeOptions.url ?? '' }) },
      serverError: status >= 500,
    });
    request.log.debug(
      {
        method: request.method,
        url: clip(request.url),
        ...(model === undefined ? {} : { model }),
        status,
        code,
        totalMs: Math.round(totalMs * 1000) / 1000,
        ...(context.error === undefined ? {} : { error: context.error.message }),
      },
      'request',
    );
  });
}

/** The trace-level line the onRequest hook writes as a request arrives (before any refusal). */
export function logIncoming(request: FastifyRequest): void {
  request.log.trace({ method: request.method, url: clip(request.url) }, 'incoming request');
}

// URLs carry no keys (those are in headers), but a client may send a huge one: the log line stays bounded.
function clip(url: string): string {
  return url.length > 300 ? `${url.slice(0, 300)}...` : url;
}
