import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cors from '@fastify/cors';
import {
  AUTHORIZATION_HEADER,
  DEADLINE_HEADER,
  INFERENCE_HEADER,
  PRIORITY_HEADER,
  REQUEST_ID_HEADER,
  RETRY_AFTER_HEADER,
  SERVER_TIMING_HEADER,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from '@tachyon-serve/protocol';
import type { ModelHost } from '@tachyon-serve/core';
import { clientErrorHandler, registerErrorHandling } from './error-mapping.js';
import type { HttpServerState } from './fastify-types.js';
import { compileHttpOptions, type HttpConfig, type HttpOptions } from './http-options.js';
import { registerRequestHooks, requestIdFor } from './request-hooks.js';
import { Observability } from '../observability/observability.js';
import { classifyRoutes } from './routes/classify-routes.js';
import { metricsRoutes } from './routes/metrics-routes.js';
import { kserveModelRoutes } from './routes/kserve-routes.js';
import { repositoryRoutes } from './routes/repository-routes.js';
import { serverRoutes } from './routes/server-routes.js';
import { tfServingRoutes } from './routes/tf-serving-routes.js';

/** Where the process writes: TLS material and the log destination; not part of the frozen config. */
export interface HttpServerExtras {
  /** TLS (key, cert, ...), handed to `https.createServer`; reload later with `app.server.setSecureContext()`. @default undefined (plain HTTP) */
  https?: HttpsServerOptions;
  /** Log destination (one JSON line per write). @default process.stdout */
  logStream?: { write(line: string): void };
  /**
   * Metrics and tracing shared with the gRPC server (the caller closes it). @default a new one with metrics on and
   * tracing off, closed with the app
   */
  observability?: Observability;
}

/** The fastify constructor options that carry the config: limits, timeouts, header size, logger, request ids. */
export function fastifyServerOptions(
  config: HttpConfig,
  extras: HttpServerExtras = {},
): FastifyServerOptions & { https?: HttpsServerOptions } {
  return {
    bodyLimit: config.bodyLimit,
    routerOptions: { maxParamLength: config.maxParamLength },
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    ...(extras.https === undefined
      ? { http: { maxHeaderSize: config.maxHeaderSize } }
      : { https: { ...extras.https, maxHeaderSize: config.maxHeaderSize } }),
    return503OnClosing: false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    clientErrorHandler: clientErrorHandler(config),
    // fastify's two info lines per request are replaced by the one debug line of the onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    logger: {
      level: config.logLevel,
      redact: {
        paths: [`req.headers.${AUTHORIZATION_HEADER}`, `headers.${AUTHORIZATION_HEADER}`, AUTHORIZATION_HEADER],
        censor: '[redacted]',
      },
      ...(extras.logStream === undefined ? {} : { stream: extras.logStream }),
    },
  } as FastifyServerOptions & { https?: HttpsServerOptions };
}

/**
 * Assembles the whole HTTP API on an existing fastify instance (made with `fastifyServerOptions(config)`): hooks,
 * the one error mapping, CORS, and the raw-image, KServe v2, TF-Serving, health and OpenAPI routes. Returns the
 * state the serve helper drives (`draining`).
 */
export function buildHttpApp(
  app: FastifyInstance,
  host: ModelHost,
  config: HttpConfig,
  observability?: Observability,
): HttpServerState {
  const obs = observability ?? new Observability({ knownModel: (name) => host.names().includes(name) });
  if (observability === undefined) app.addHook('onClose', async () => obs.close());
  const state: HttpServerState = { config, host, observability: obs, draining: false };
  app.decorate('tachyon', state);
  // Node drops connections beyond this before any HTTP is read; set here so that listen() finds it.
  app.server.maxConnections = config.maxConnections;
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.config?.access === undefined && !methods.every((m) => m === 'OPTIONS')) {
      throw new TypeError(`route ${methods.join(',')} ${route.url}: every route must declare config.access`);
    }
  });
  registerErrorHandling(app, config);
  if (config.cors) {
    void app.register(cors, {
      origin: config.cors.origins.includes('*') ? '*' : [...config.cors.origins],
      methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
      allowedHeaders: [
        AUTHORIZATION_HEADER,
        'content-type',
        'content-encoding',
        REQUEST_ID_HEADER,
        DEADLINE_HEADER,
        PRIORITY_HEADER,
        INFERENCE_HEADER,
        TRACEPARENT_HEADER,
        TRACESTATE_HEADER,
      ],
      exposedHeaders: [
        REQUEST_ID_HEADER,
        SERVER_TIMING_HEADER,
        INFERENCE_HEADER,
        RETRY_AFTER_HEADER,
        TRACEPARENT_HEADER,
      ],
      maxAge: 600,
    });
  }
  // Not encapsulated (skip-override), and registered after CORS so that refusals still carry the CORS headers.
  const hooks = Object.assign(async (root: FastifyInstance) => registerRequestHooks(root, config), {
    [Symbol.for('skip-override')]: true,
  });
  void app.register(hooks);
  void app.register(serverRoutes, state);
  void app.register(classifyRoutes, state);
  void app.register(kserveModelRoutes, state);
  void app.register(tfServingRoutes, state);
  void app.register(repositoryRoutes, state);
  void app.register(metricsRoutes, state);
  return state;
}

/**
 * A fastify instance serving `host` over HTTP, not yet listening: the serve helper calls `listen()` (and sets
 * `app.tachyon.draining` on SIGTERM before `app.close()`).
 */
export function createHttpServer(
  host: ModelHost,
  options: HttpOptions,
  extras: HttpServerExtras = {},
): FastifyInstance {
  const config = compileHttpOptions(options);
  const app = Fastify(fastifyServerOptions(config, extras)) as unknown as FastifyInstance;
  buildHttpApp(app, host, config, extras.observability);
  return app;
}
