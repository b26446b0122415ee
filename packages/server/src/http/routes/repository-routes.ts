import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TachyonError } from '@tachyon-serve/protocol';
import { validateVersionPolicy, type VersionPolicy } from '@tachyon-serve/core';
import type { HttpServerState } from '../fastify-types.js';
import { acceptAnyBodyAsBuffer, bodyBytes } from './raw-body.js';

type NameParams = { name: string };

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** tritonclient sends `unload_dependents` on every unload; tachyon has no ensembles that could depend on a model. */
const IGNORED_PARAMETERS = new Set(['unload_dependents']);

/**
 * Triton's model repository API (admin key): the index, and load/unload on the running server. Load and unload
 * answer once done (200 `{}`) or with the error; both are refused with 404 when model control is disabled.
 */
export async function repositoryRoutes(scope: FastifyInstance, state: HttpServerState): Promise<void> {
  acceptAnyBodyAsBuffer(scope);
  const admin = { config: { access: 'admin' as const } };
  scope.post('/v2/repository/index', admin, async (request) => {
    const body = await jsonBody(request, state);
    const ready = body['ready'];
    if (ready !== undefined && typeof ready !== 'boolean') throw invalid('"ready" must be a boolean.');
    const rows = await state.host.index();
    return ready === true ? rows.filter((r) => r.state === 'READY') : rows;
  });
  scope.post<{ Params: NameParams }>('/v2/repository/models/:name/load', admin, async (request) => {
    const name = controlled(state, request);
    const parameters = await parametersOf(request, state, ['source', 'version_policy']);
    const source = parameters['source'];
    if (source !== undefined && (typeof source !== 'string' || source === ''))
      throw invalid('"parameters.source" must be a non-empty string.');
    let versionPolicy: VersionPolicy | undefined;
    if (parameters['version_policy'] !== undefined) {
      try {
        versionPolicy = validateVersionPolicy(parameters['version_policy'], 'parameters.version_policy');
      } catch (error) {
        throw invalid(`${(error as Error).message}`);
      }
    }
    await state.host.load(name, source as string | undefined, versionPolicy === undefined ? {} : { versionPolicy });
    return {};
  });
  scope.post<{ Params: NameParams }>('/v2/repository/models/:name/unload', admin, async (request) => {
    const name = controlled(state, request);
    const parameters = await parametersOf(request, state, ['version']);
    const version = parameters['version'];
    if (version !== undefined && (typeof version !== 'string' || !/^[1-9][0-9]*$/.test(version)))
      throw invalid('"parameters.version" must be a version number as a string, e.g. "2".');
    await state.host.unload(name, version as string | undefined);
    return {};
  });
}

/** The model name of a load/unload URL, once model control is known to be on (off: as if the route did not exist). */
function controlled(state: HttpServerState, request: FastifyRequest<{ Params: NameParams }>): string {
  if (!state.host.control.enabled) {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    throw new TachyonError(
      'TCH_ERR_IO_NOT_FOUND',
      `No route matches "${request.method} ${path}": model control is disabled on this server.`,
      {
        details: { method: request.method, path },
      },
    );
  }
  const { name } = request.params;
  if (!MODEL_NAME.test(name))
    throw invalid(`Model name "${name.slice(0, 128)}" must match [A-Za-z0-9][A-Za-z0-9._-]* (at most 128 characters).`);
  return name;
}

async function jsonBody(request: FastifyRequest, state: HttpServerState): Promise<Record<string, unknown>> {
  const bytes = await bodyBytes(request, state.config);
  if (bytes.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('The body must be JSON.');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body must be a JSON object.');
  return body as Record<string, unknown>;
}

/** `body.parameters`, with only the `allowed` keys (and those tritonclient always sends). */
async function parametersOf(
  request: FastifyRequest,
  state: HttpServerState,
  allowed: readonly string[],
): Promise<Record<string, unknown>> {
  const parameters = (await jsonBody(request, state))['parameters'] ?? {};
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw invalid('"parameters" must be a JSON object.');
  const unknown = Object.keys(parameters).filter((k) => !allowed.includes(k) && !IGNORED_PARAMETERS.has(k));
  if (unknown.length > 0) {
    throw invalid(
      `Unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 64)}"`).join(', ')}; accepted: ${allowed.map((k) => `"${k}"`).join(', ')}.`,
    );
  }
  return parameters as Record<string, unknown>;
}

function invalid(message: string): TachyonError {
  return new TachyonError('TCH_ERR_CONFIG_INVALID', message);
}
