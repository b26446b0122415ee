import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeKServeRequest, INFERENCE_HEADER } from '../codec/kserve-request.js';
import { encodeKServeResponse } from '../codec/kserve-response.js';
import type { HttpServerState } from '../fastify-types.js';
import { runInfer } from '../run-infer.js';
import { acceptAnyBodyAsBuffer, bodyBytes } from './raw-body.js';

type ModelParams = { name: string; version?: string };

/** KServe v2 / open inference protocol, per model: metadata, readiness and infer (JSON and binary tensor data). */
export async function kserveModelRoutes(scope: FastifyInstance, state: HttpServerState): Promise<void> {
  acceptAnyBodyAsBuffer(scope);
  const service = { config: { access: 'service' as const } };
  for (const base of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    scope.get<{ Params: ModelParams }>(base, service, async (request) =>
      state.host.metadata(request.params.name, request.params.version),
    );
    scope.get<{ Params: ModelParams }>(`${base}/ready`, service, async (request) => {
      const model = state.host.get(request.params.name, request.params.version);
      return { name: model.name, version: model.version, ready: true };
    });
    scope.post<{ Params: ModelParams }>(
      `${base}/infer`,
      { config: { access: 'service', protocol: 'kserve-http' } },
      (request, reply) => kserveInfer(state, request, reply),
    );
  }
}

async function kserveInfer(
  state: HttpServerState,
  request: FastifyRequest<{ Params: ModelParams }>,
  reply: FastifyReply,
): Promise<unknown> {
  const body = await bodyBytes(request, state.config);
  const { name, version } = request.params;
  const decoded = decodeKServeRequest(body, request.headers[INFERENCE_HEADER], {
    modelName: name,
    ...(version === undefined ? {} : { modelVersion: version }),
  });
  decoded.request.id ??= request.id;
  const response = await runInfer(state, request, reply, decoded.request);
  const encoded = encodeKServeResponse(response, decoded.binaryOutput);
  if (encoded.body === undefined) return encoded.json;
  return reply
    .header(INFERENCE_HEADER, String(encoded.headerLength))
    .type('application/octet-stream')
    .send(encoded.body);
}
