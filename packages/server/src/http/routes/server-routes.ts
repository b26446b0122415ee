import type { FastifyInstance } from 'fastify';
import { KSERVE_EXTENSIONS, TachyonError } from '@tachyon-serve/protocol';
import type { HttpServerState } from '../fastify-types.js';
import { buildOpenApiDocument } from '../openapi/openapi-document.js';
import { SERVER_VERSION } from '../../server-version.js';
import { acceptAnyBodyAsBuffer } from './raw-body.js';

/** KServe v2 server metadata and health, and the OpenAPI document (all open). */
export async function serverRoutes(app: FastifyInstance, state: HttpServerState): Promise<void> {
  acceptAnyBodyAsBuffer(app);
  const open = { config: { access: 'open' as const } };
  app.get('/v2', open, async () => ({ name: 'tachyon', version: SERVER_VERSION, extensions: [...KSERVE_EXTENSIONS] }));
  app.get('/v2/health/live', { config: { access: 'live' } }, async () => ({ live: true }));
  app.get('/v2/health/ready', open, async () => {
    if (!state.host.isReady()) {
      throw new TachyonError('TCH_ERR_MODEL_NOT_READY', 'Not every model has loaded and warmed up yet.', {
        details: { models: state.host.names().map((name) => ({ name, ready: state.host.isReady(name) })) },
      });
    }
    return { ready: true };
  });
  const openapi = JSON.stringify(buildOpenApiDocument());
  app.get('/openapi.json', open, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(openapi),
  );
  // The repository index and model control (admin) are in repository-routes.ts.
}
