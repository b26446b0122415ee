import type { ServerResponse } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { bindGrpcServer, createGrpcServer } from '../grpc/grpc-server.js';
import { createHttpServer } from '../http/http-server.js';
import { ModelHost } from '@tachyon-serve/core';
import { checkSecurity, formatHostPort } from './address-policy.js';
import { ReloadableIdentityProvider, createGrpcCredentials } from './grpc-credentials.js';
import { KeyStore, type ServerKeys } from './key-store.js';
import { Observability } from '../observability/observability.js';
import type { QueueStats } from '../observability/server-metrics.js';
import { createServeLogger, grpcCallLogger, leveledLogger, redactingLogger, type ServeLogger } from './serve-logger.js';
import { compileServeOptions, type ServeConfig, type ServeOptions } from './serve-options.js';
import { readTlsMaterial } from './tls-material.js';

/** A listening server process; `close()` drains it. */
export interface RunningServer {
  /** `http://host:port` or `https://host:port`, with the port actually bound. */
  readonly httpUrl: string;
  /** `host:port` for gRPC clients (TLS when `tls`). */
  readonly grpcAddress: string;
  /** The names served now (model control may load and unload them). */
  readonly models: readonly string[];
  /** The service keys in force (after the last reload) and the admin key, or undefined with `noAuth`. */
  readonly keys: Readonly<ServerKeys> | undefined;
  /** Whether the service keys were generated at startup (show them once; they are in no file). */
  readonly keysGenerated: boolean;
  /** Whether the admin key was generated at startup (no keys file, or none in it): show it once. */
  readonly adminKeyGenerated: boolean;
  readonly tls: boolean;
  readonly draining: boolean;
  readonly config: ServeConfig;
  /** Metrics (`observability.metrics`: wire queue stats and batch sizes here) and tracing, shared by HTTP and gRPC. */
  readonly observability: Observability;
  /** Re-reads the TLS pair and the keys file (what SIGHUP does). On error the old ones stay in force. */
  reload(): Promise<{ tls: boolean; keysChanged: boolean }>;
  /** Drain: refuse new requests (503 TCH_ERR_SERVER_DRAINING, not ready), finish in-flight ones within drainTimeoutMs, close. */
  close(): Promise<void>;
}

/**
 * Starts the server process: checks the security rules for the address, reads keys and TLS, listens on HTTP and gRPC
 * (ports first, so a taken port fails before a slow model load), then loads and warms every model. Resolves once
 * everything is ready; on any failure closes what was opened and rejects.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const config = compileServeOptions(options);
  const base = options.logger ?? createServeLogger();
  const warnings = checkSecurity({
    host: config.host,
    tls: config.tls !== undefined,
    auth: !config.noAuth,
    insecure: config.insecure,
  });
  const keyStore = await KeyStore.create({ file: config.keysFile, auth: !config.noAuth, warn: (m) => base.warn(m) });
  const logger = leveledLogger(
    redactingLogger(base, () => keyStore.secrets()),
    config.logLevel,
  );
  for (const warning of warnings) logger.warn(warning);
  const tls = config.tls && (await readTlsMaterial(config.tls));
  const identity = tls && new ReloadableIdentityProvider(tls);

  let host: ModelHost | undefined;
  const observability = new Observability({
    metrics: config.metrics,
    tracing: config.tracing,
    knownModel: (name) => host?.names().includes(name) ?? false,
  });
  try {
    host = await ModelHost.create({
      sources: config.sources,
      pool: { workers: config.workers },
      control: config.modelControl,
      scheduler: config.scheduler,
      hooks: (model) => ({ onBatchStart: ({ rows }) => observability.metrics.recordBatch(model, rows) }),
      ...(config.workspace === undefined ? {} : { workspace: config.workspace }),
    });
  } catch (error) {
    await observability.close().catch(() => undefined);
    throw error;
  }
  const models = host;
  observability.metrics.setQueueSource(() => queueStatsByModel(models.schedulerStats()));
  let app: FastifyInstance | undefined;
  let grpc: GrpcServer | undefined;
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const auth = config.noAuth ? ('none' as const) : { keys: () => keyStore.accepted(), adminKey: keyStore.adminKey };
  try {
    app = createHttpServer(
      host,
      {
        auth,
        bodyLimit: config.bodyLimit,
        maxImagesPerRequest: config.maxImages,
        maxConnections: config.maxConnections,
        logLevel: config.logLevel,
        ...(config.cors.length > 0 ? { cors: { origins: config.cors } } : {}),
      },
      {
        ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
        logStream: { write: (line) => logger.write(line) },
        observability,
      },
    );
    const httpServer = app.server;
    httpServer.on('request', (_req, res) => {
      inFlight.add(res);
      if (draining) res.setHeader('connection', 'close');
      res.once('close', () => {
        inFlight.delete(res);
        // A connection busy when the drain began is idle now: close it, or keep-alive would hold the drain open.
        if (draining) setImmediate(() => httpServer.closeIdleConnections());
      });
    });
    const httpPort = await listenHttp(app, config);
    grpc = createGrpcServer(host, {
      auth,
      maxReceiveMessageLength: config.bodyLimit,
      maxImagesPerRequest: config.maxImages,
      draining: () => draining,
      log: grpcCallLogger(logger),
      observability,
    });
    const grpcPort = await bindGrpc(grpc, config, createGrpcCredentials(identity));
    const httpUrl = `${tls ? 'https' : 'http'}://${formatHostPort(config.host, httpPort)}`;
    const grpcAddress = formatHostPort(config.host, grpcPort);
    logger.info('listening', {
      http: httpUrl,
      grpc: grpcAddress,
      tls: Boolean(tls),
      auth: config.noAuth ? 'none' : keyStore.generated ? 'generated keys' : 'keys file',
    });
    if (tls) logger.info('tls certificate', tls.summary);
    for (const model of config.models) {
      const started = performance.now();
      await host.load(model.name, model.source, {
        scheduler: model.scheduler,
        ...(model.versionPolicy ? { versionPolicy: model.versionPolicy } : {}),
      });
      logger.info('model ready', {
        model: model.name,
        versions: host.versions(model.name),
        loadMs: Math.round(performance.now() - started),
      });
    }
    host.markStarted();

    const httpApp = app;
    const grpcServer = grpc;
    let closing: Promise<void> | undefined;
    const server: RunningServer = {
      httpUrl,
      grpcAddress,
      observability,
      get models() {
        return Object.freeze(host.names());
      },
      get keys() {
        return keyStore.keys;
      },
      keysGenerated: keyStore.generated,
      adminKeyGenerated: keyStore.adminKeyGenerated,
      tls: Boolean(tls),
      get draining() {
        return draining;
      },
      config,
      async reload() {
        const failures: unknown[] = [];
        if (config.tls) {
          try {
            const next = await readTlsMaterial(config.tls);
            // New handshakes use the new pair; open connections keep theirs, so nothing is dropped.
            (httpApp.server as unknown as TlsServer).setSecureContext({ cert: next.cert, key: next.key });
            identity!.update(next);
            logger.info('tls certificate reloaded', next.summary);
          } catch (error) {
            failures.push(error);
          }
        }
        let keysChanged = false;
        try {
          keysChanged = await keyStore.reload((m) => logger.warn(m));
          if (keyStore.file !== undefined)
            logger.info(keysChanged ? 'keys reloaded: new keys in force' : 'keys reloaded: unchanged', {
              file: keyStore.file,
            });
        } catch (error) {
          failures.push(error);
        }
        for (const f of failures.slice(1))
          logger.error('reload failed', { code: (f as TachyonError).code, error: (f as Error).message });
        if (failures.length > 0) throw failures[0];
        return { tls: Boolean(config.tls), keysChanged };
      },
      close() {
        closing ??= drain(
          httpApp,
          grpcServer,
          host,
          config,
          logger,
          () => inFlight.size,
          () => {
            draining = true;
            httpApp.tachyon.draining = true;
            // Responses still to come tell their clients not to reuse the connection.
            for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
          },
        ).finally(() => observability.close().catch(() => undefined));
        return closing;
      },
    };
    return server;
  } catch (error) {
    draining = true;
    await Promise.allSettled([app?.close(), grpc && shutdownGrpc(grpc, 0)]);
    await host.close().catch(() => undefined);
    await observability.close().catch(() => undefined);
    throw error;
  }
}

async function drain(
  app: FastifyInstance,
  grpc: GrpcServer,
  host: ModelHost,
  config: ServeConfig,
  logger: ServeLogger,
  inFlight: () => number,
  startDraining: () => void,
): Promise<void> {
  startDraining();
  const started = performance.now();
  logger.info('draining', { inFlightHttp: inFlight(), drainTimeoutMs: config.drainTimeoutMs });
  let forced = false;
  const timer = setTimeout(() => {
    forced = true;
    logger.warn('drain timeout: closing the connections of unfinished requests', { inFlightHttp: inFlight() });
    app.server.closeAllConnections();
  }, config.drainTimeoutMs);
  try {
    // fastify's close stops accepting, closes idle keep-alive connections and waits for in-flight requests.
    await Promise.all([app.close(), shutdownGrpc(grpc, config.drainTimeoutMs)]);
  } finally {
    clearTimeout(timer);
  }
  await host.close();
  logger.info('drained', { forced, drainMs: Math.round(performance.now() - started) });
}

/** tryShutdown finishes in-flight calls; past `timeoutMs` they are cut with forceShutdown. */
function shutdownGrpc(grpc: GrpcServer, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      grpc.forceShutdown();
      resolve();
    }, timeoutMs);
    grpc.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function listenHttp(app: FastifyInstance, config: ServeConfig): Promise<number> {
  try {
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (cause) {
    throw listenError('HTTP', config.host, config.httpPort, cause);
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string')
    throw listenError('HTTP', config.host, config.httpPort, new Error('no TCP address'));
  return address.port;
}

async function bindGrpc(
  grpc: GrpcServer,
  config: ServeConfig,
  credentials: ReturnType<typeof createGrpcCredentials>,
): Promise<number> {
  try {
    return await bindGrpcServer(grpc, formatHostPort(config.host, config.grpcPort), credentials);
  } catch (cause) {
    throw listenError('gRPC', config.host, config.grpcPort, cause);
  }
}

function listenError(what: string, host: string, port: number, cause: unknown): TachyonError {
  if (isTachyonError(cause)) return cause;
  const reason = (cause as { code?: string }).code ?? (cause as Error).message;
  return new TachyonError(
    'TCH_ERR_SERVER_LISTEN_FAILED',
    `Cannot listen for ${what} on "${formatHostPort(host, port)}": ${reason}.`,
    {
      details: { protocol: what, host, port, reason },
      cause,
    },
  );
}

/** One row per model name: the versions of a name share its gauges. */
function queueStatsByModel(rows: readonly QueueStats[]): QueueStats[] {
  const byModel = new Map<string, QueueStats>();
  for (const r of rows) {
    const sum = byModel.get(r.model);
    if (!sum)
      byModel.set(r.model, {
        model: r.model,
        queued: r.queued,
        running: r.running,
        busySlots: r.busySlots,
        concurrency: r.concurrency,
      });
    else
      byModel.set(r.model, {
        model: r.model,
        queued: sum.queued + r.queued,
        running: sum.running + r.running,
        busySlots: sum.busySlots + r.busySlots,
        concurrency: sum.concurrency + r.concurrency,
      });
  }
  return [...byModel.values()];
}
