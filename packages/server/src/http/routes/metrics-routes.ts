import type { FastifyInstance } from 'fastify';
import type { HttpServerState } from '../fastify-types.js';

/**
 * `GET /metrics` (Prometheus text format) and `GET /v2/metrics/history` (the dashboard's rolling history, JSON), both
 * behind the admin key (open when auth is off). Not registered at all (404) when metrics are disabled.
 */
export async function metricsRoutes(app: FastifyInstance, state: HttpServerState): Promise<void> {
  const metrics = state.observability.metrics;
  if (!metrics.config.enabled) return;
  const admin = { config: { access: 'admin' as const } };
  app.get('/metrics', admin, async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  app.get('/v2/metrics/history', admin, async () => metrics.historySnapshot());
}
