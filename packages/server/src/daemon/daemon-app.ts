import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DeploymentController } from '@tachyon-serve/core';
import {
  TachyonError,
  type DaemonHealth,
  type DeployRequest,
  type DeployResponse,
  type ServiceKeysBody,
  type ServiceSpec,
} from '@tachyon-serve/protocol';
import { isDashboardPath, registerDashboard, type DashboardOptions } from './ui-dashboard.js';

export interface DaemonAppOptions {
  controller: DeploymentController;
  /** The bearer token every call must carry (compared in constant time). */
  token: string;
  workspace: string;
  version: string;
  /** Called after `POST /v1/shutdown` has been answered. */
  onShutdown: () => void;
  /** Where unexpected errors are reported (never shown to the caller). @default none */
  log?: (message: string) => void;
  /** Serve the web dashboard at /ui (docs/dashboard.md), guarded by the workspace admin key. @default none */
  ui?: DashboardOptions;
}

/** The daemon's HTTP API (packages/protocol/src/deployments.ts): fastify, token auth, one error mapping. */
export function buildDaemonApp(options: DaemonAppOptions): FastifyInstance {
  const { controller } = options;
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const expected = createHash('sha256').update(options.token).digest();

  app.addHook('onRequest', async (request) => {
    if (options.ui !== undefined && isDashboardPath(request.url)) return; // the admin key guards /ui/api
    const header = request.headers.authorization;
    if (header === undefined || !/^Bearer\s+\S+$/i.test(header)) {
      throw new TachyonError('TCH_ERR_AUTH_MISSING', 'The request carries no `Authorization: Bearer <daemon token>`.');
    }
    const given = createHash('sha256')
      .update(header.replace(/^Bearer\s+/i, ''))
      .digest();
    if (!timingSafeEqual(given, expected))
      throw new TachyonError('TCH_ERR_AUTH_INVALID', 'The daemon token is not valid for this workspace.');
  });

  app.setErrorHandler((error, _request, reply) => {
    const mapped = toDaemonError(error);
    if (mapped.code === 'TCH_ERR_SERVER_INTERNAL')
      options.log?.(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    return reply.code(mapped.httpStatus).type('application/json; charset=utf-8').send(mapped.toJSON());
  });
  app.setNotFoundHandler((request) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `No route matches "${request.method} ${path}".`, {
      details: { method: request.method, path },
    });
  });

  type Named = { Params: { name: string } };
  app.get(
    '/v1/health',
    async (): Promise<DaemonHealth> => ({
      ok: true,
      pid: process.pid,
      workspace: options.workspace,
      version: options.version,
    }),
  );
  app.get('/v1/services', async () => ({ services: await controller.list() }));
  app.get<Named>('/v1/services/:name', async (request) => controller.status(request.params.name));
  app.put<Named & { Body: DeployRequest }>('/v1/services/:name', async (request): Promise<DeployResponse> => {
    const body = request.body as Partial<DeployRequest> | undefined;
    if (typeof body !== 'object' || body === null || typeof body.spec !== 'object' || body.spec === null) {
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'The body must be {"spec": {...}}.');
    }
    return controller.apply(request.params.name, body.spec as ServiceSpec);
  });
  app.delete<Named>('/v1/services/:name', async (request) => ({
    deleted: await controller.delete(request.params.name),
  }));
  app.get<Named & { Querystring: { tail?: string } }>('/v1/services/:name/logs', async (request) => {
    const tail = request.query.tail === undefined ? 100 : Number(request.query.tail);
    if (!Number.isInteger(tail) || tail < 0 || tail > 10_000)
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'tail must be an integer in [0, 10000].');
    return { lines: await controller.logs(request.params.name, tail) };
  });
  app.get<Named>(
    '/v1/services/:name/keys',
    async (request): Promise<ServiceKeysBody> => controller.keys(request.params.name),
  );
  app.post<Named>('/v1/services/:name/keys/regenerate', async (request): Promise<ServiceKeysBody> => {
    const key = (request.body as { key?: unknown } | undefined)?.key;
    if (key !== 'primary' && key !== 'secondary')
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'The body must be {"key": "primary"} or {"key": "secondary"}.');
    return controller.regenerateKey(request.params.name, key);
  });
  if (options.ui !== undefined) registerDashboard(app, options.ui, options.version, options.log);
  app.post('/v1/shutdown', async (_request, reply) => {
    reply.raw.once('finish', () => setImmediate(options.onShutdown));
    return {};
  });
  return app;
}

/** THE mapping of the daemon: ours pass through, argument errors and malformed requests are CONFIG_INVALID. */
export function toDaemonError(error: unknown): TachyonError {
  if (error instanceof TachyonError) return error;
  if (error instanceof TypeError || error instanceof RangeError)
    return new TachyonError('TCH_ERR_CONFIG_INVALID', error.message);
  const e = error as { statusCode?: number; message?: string; code?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new TachyonError('TCH_ERR_CONFIG_INVALID', `The request is malformed: ${e.message ?? 'unknown reason'}`, {
      details: { reason: e.code },
    });
  }
  return new TachyonError(
    'TCH_ERR_SERVER_INTERNAL',
    'An unexpected error occurred in the deployment daemon; its log has the details.',
    { cause: error },
  );
}
