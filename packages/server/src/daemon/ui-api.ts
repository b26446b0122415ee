import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { servicePaths, type DeploymentController, type RegistryStore, type WorkspaceConfig } from '@tachyon-serve/core';
import {
  REQUEST_ID_HEADER,
  SERVER_TIMING_HEADER,
  TachyonError,
  type ServiceKeysBody,
  type ServiceStatus,
  type UiClassification,
  type UiHistoryPoint,
  type UiLogs,
  type UiOverview,
  type UiServiceDetail,
  type UiServiceMetrics,
  type UiServiceRow,
} from '@tachyon-serve/protocol';
import { errorLines, summarizeMetrics } from './ui-metrics.js';
import { listModels, type ModelDescriber } from './ui-models.js';
import { callService, jsonOf, parseServerTiming } from './ui-service-proxy.js';
import type { ServiceStateHistory } from './ui-state-history.js';

export interface UiApiContext {
  config: WorkspaceConfig;
  controller: DeploymentController;
  store: RegistryStore;
  history: ServiceStateHistory;
  models: ModelDescriber;
  version: string;
}

function toRow(s: ServiceStatus): UiServiceRow {
  const tls =
    s.spec.tls === undefined || s.spec.tls === 'none'
      ? 'none'
      : s.spec.tls === 'self-signed'
        ? 'self-signed'
        : 'custom';
  const port = (address: string | undefined) =>
    address === undefined ? null : Number(/:(\d+)\/?$/.exec(address)?.[1] ?? NaN) || null;
  return {
    name: s.name,
    state: s.state,
    reason: s.reason ?? null,
    model: `${s.spec.model.name}:${s.spec.model.version}`,
    tls,
    httpUrl: s.httpUrl ?? null,
    grpcAddress: s.grpcAddress ?? null,
    scoringUri: s.scoringUri ?? null,
    httpPort: port(s.httpUrl),
    grpcPort: port(s.grpcAddress),
    restarts: s.restarts,
    generation: s.generation,
    updatedAt: s.updatedAt,
  };
}

async function serviceKeys(config: WorkspaceConfig, name: string): Promise<{ primary: string; admin: string }> {
  const keys = JSON.parse(await readFile(servicePaths(config.root, name).keys, 'utf8')) as {
    primary?: unknown;
    admin?: unknown;
  };
  if (typeof keys.primary !== 'string' || typeof keys.admin !== 'string') {
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `The keys file of service "${name}" does not hold its keys.`, {
      details: { service: name },
    });
  }
  return { primary: keys.primary, admin: keys.admin };
}

function toPoints(body: unknown, model: string): { bucketSeconds: number; points: UiHistoryPoint[] } {
  const history = body as {
    bucketSeconds?: number;
    buckets?: {
      start: number;
      models: Record<
        string,
        {
          requests: number;
          errors: number;
          latencyMs: { p50: number; p90: number; p99: number } | null;
          meanBatchSize: number | null;
        }
      >;
    }[];
  };
  const points: UiHistoryPoint[] = [];
  for (const bucket of history.buckets ?? []) {
    const m = bucket.models?.[model];
    if (m === undefined) continue;
    points.push({
      start: bucket.start,
      requests: m.requests,
      errors: m.errors,
      p50: m.latencyMs?.p50 ?? null,
      p90: m.latencyMs?.p90 ?? null,
      p99: m.latencyMs?.p99 ?? null,
      meanBatchSize: m.meanBatchSize,
    });
  }
  return { bucketSeconds: history.bucketSeconds ?? 10, points };
}

const TOP_PATTERN = /^(?:[1-9]\d{0,2}|1000)$/;

/** The JSON endpoints under /ui/api (registered inside the dashboard's encapsulated plugin, behind the admin key). */
export function registerUiApi(api: FastifyInstance, ctx: UiApiContext): void {
  const { controller } = ctx;
  type Named = { Params: { name: string } };

  api.get('/session', async () => ({ workspace: ctx.config.name, version: ctx.version }));

  api.get('/overview', async (): Promise<UiOverview> => {
    const [models, services] = await Promise.all([listModels(ctx.store), controller.list()]);
    return { workspace: ctx.config.name, models, services: services.map(toRow) };
  });

  api.get<Named>('/services/:name', async (request): Promise<UiServiceDetail> => {
    const status = await controller.status(request.params.name);
    const record = await ctx.store.getDeployment(status.name);
    return {
      service: toRow(status),
      spec: status.spec,
      caFile: status.caFile ?? null,
      history: ctx.history.get(status.name, record),
    };
  });

  api.get<Named>(
    '/services/:name/keys',
    async (request): Promise<ServiceKeysBody> => controller.keys(request.params.name),
  );
  api.post<Named>('/services/:name/keys/regenerate', async (request): Promise<ServiceKeysBody> => {
    const key = (request.body as { key?: unknown } | undefined)?.key;
    if (key !== 'primary' && key !== 'secondary')
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'The body must be {"key": "primary"} or {"key": "secondary"}.');
    return controller.regenerateKey(request.params.name, key);
  });

  api.get<Named & { Querystring: { tail?: string } }>('/services/:name/logs', async (request): Promise<UiLogs> => {
    const tail = request.query.tail === undefined ? 200 : Number(request.query.tail);
    if (!Number.isInteger(tail) || tail < 1 || tail > 2000)
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'tail must be an integer in [1, 2000].');
    const lines = await controller.logs(request.params.name, tail);
    // Errors are looked for further back than the tail shown.
    const errors = errorLines(await controller.logs(request.params.name, 2000)).slice(-50);
    return { lines, errors };
  });

  api.get<Named>('/services/:name/metrics', async (request): Promise<UiServiceMetrics> => {
    const status = await controller.status(request.params.name);
    const { admin } = await serviceKeys(ctx.config, status.name);
    const [history, metrics] = await Promise.all([
      callService(status, { method: 'GET', path: '/v2/metrics/history', key: admin, timeoutMs: 10_000 }),
      callService(status, { method: 'GET', path: '/metrics', key: admin, timeoutMs: 10_000 }),
    ]);
    if (metrics.status !== 200) jsonOf(status, metrics); // throws the service's error
    const text = metrics.body.toString('utf8');
    return { ...toPoints(jsonOf(status, history), status.name), summary: summarizeMetrics(text, status.name) };
  });

  api.post<Named & { Querystring: { top?: string } }>(
    '/services/:name/classify',
    async (request): Promise<UiClassification> => {
      const top = request.query.top ?? '5';
      if (!TOP_PATTERN.test(top))
        throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'top must be an integer in [1, 1000].');
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0)
        throw new TachyonError('TCH_ERR_IMAGE_EMPTY', 'The request carries no image bytes.');
      const status = await controller.status(request.params.name);
      const { primary } = await serviceKeys(ctx.config, status.name);
      const answer = await callService(status, {
        method: 'POST',
        path: `/v1/services/${encodeURIComponent(status.name)}/classify?top=${top}`,
        key: primary,
        body,
        contentType: request.headers['content-type'] ?? 'application/octet-stream',
      });
      const result = jsonOf(status, answer) as { results?: { top?: UiClassification['top'] }[] };
      return {
        top: result.results?.[0]?.top ?? [],
        latencyMs: Math.round(answer.elapsedMs * 100) / 100,
        serverTiming: parseServerTiming(answer.headers[SERVER_TIMING_HEADER]),
        // Node joins repeated non-standard headers into one string, so this is never an array.
        requestId: (answer.headers[REQUEST_ID_HEADER] as string | undefined) ?? null,
      };
    },
  );

  api.get<{ Params: { name: string; version: string } }>('/models/:name/versions/:version', async (request) => {
    const version = Number(request.params.version);
    if (!Number.isSafeInteger(version) || version < 1)
      throw new TachyonError('TCH_ERR_CONFIG_INVALID', 'version must be a positive integer.');
    return ctx.models.describe(request.params.name, version);
  });
}
