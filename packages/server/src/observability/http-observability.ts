import type { Attributes } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toTachyonError } from '../http/error-mapping.js';
import type { HttpConfig } from '../http/http-options.js';
import '../http/fastify-types.js';

export { TRACEPARENT_HEADER, TRACESTATE_HEADER } from '@tachyon-serve/protocol';

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
      name: httpSpanName(request),
      protocol,
      model,
      code,
      receivedAt: context.receivedAt,
      finishedAt,
      timings: context.timings,
      attributes: httpSpanAttributes(request, status),
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

/** The methods HTTP semantic conventions name; any other is `_OTHER` (with the original in its own attribute). */
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

/**
 * The server span name of the stable HTTP semantic conventions (v1.37.0): `{method} {http.route}`, or `{method}` alone
 * when no route matched (never the URL: its cardinality is unbounded); `HTTP` for a method outside the known set.
 */
export function httpSpanName(request: FastifyRequest): string {
  const method = KNOWN_METHODS.has(request.method) ? request.method : 'HTTP';
  const route = request.is404 ? undefined : request.routeOptions.url;
  return route === undefined || route === '' ? method : `${method} ${route}`;
}

/** The stable HTTP server span attributes (semantic conventions v1.37.0) of a finished request. */
export function httpSpanAttributes(request: FastifyRequest, status: number): Attributes {
  const known = KNOWN_METHODS.has(request.method);
  const [path = '/', query] = request.url.split(/\?(.*)/s, 2);
  const attributes: Attributes = {
    'http.request.method': known ? request.method : '_OTHER',
    'url.scheme': request.protocol,
    'url.path': path,
    'http.response.status_code': status,
    'network.protocol.version': request.raw.httpVersion === '2.0' ? '2' : request.raw.httpVersion,
  };
  if (!known) attributes['http.request.method_original'] = request.method;
  if (query !== undefined && query !== '') attributes['url.query'] = query;
  if (!request.is404 && request.routeOptions.url) attributes['http.route'] = request.routeOptions.url;
  if (request.hostname) attributes['server.address'] = request.hostname;
  const port = request.port ?? request.socket?.localPort;
  if (typeof port === 'number' && Number.isFinite(port)) attributes['server.port'] = port;
  if (request.ip) attributes['client.address'] = request.ip;
  const peer = request.socket?.remoteAddress;
  if (peer) attributes['network.peer.address'] = peer;
  if (request.socket?.remotePort !== undefined) attributes['network.peer.port'] = request.socket.remotePort;
  const agent = request.headers['user-agent'];
  if (typeof agent === 'string' && agent !== '') attributes['user_agent.original'] = agent;
  // Server spans: error.type is the status code for 5xx (4xx are the client's errors, not the server's).
  if (status >= 500) attributes['error.type'] = String(status);
  return attributes;
}
