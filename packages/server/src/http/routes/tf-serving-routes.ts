import type { FastifyInstance } from 'fastify';
import { SCORES_OUTPUT, IMAGE_INPUT } from '@tachyon/core';
import { parseJson } from '../codec/kserve-request.js';
import { decodePredictRequest, encodePredictResponse } from '../codec/tf-serving.js';
import type { HttpServerState } from '../fastify-types.js';
import { runInfer } from '../run-infer.js';
import { acceptAnyBodyAsBuffer, bodyBytes } from './raw-body.js';

type ModelParams = { name: string; version?: string };

/**
 * TF-Serving REST: `POST /v1/models/NAME[/versions/V]:predict` (the original Brainwave wire format, over HTTP) and the
 * model status `GET /v1/models/NAME[/versions/V]`.
 */
export async function tfServingRoutes(scope: FastifyInstance, state: HttpServerState): Promise<void> {
  acceptAnyBodyAsBuffer(scope);
  const service = { config: { access: 'service' as const } };
  for (const base of ['/v1/models/:name(^[^/:]+)', '/v1/models/:name/versions/:version(^[0-9]+)']) {
    scope.post<{ Params: ModelParams }>(`${base}::predict`, { config: { access: 'service', protocol: 'tf-serving-http' } }, async (request, reply) => {
      const { format, images } = decodePredictRequest(parseJson(await bodyBytes(request, state.config)));
      const response = await runInfer(state, request, reply, {
        id: request.id,
        modelName: request.params.name,
        ...(request.params.version === undefined ? {} : { modelVersion: request.params.version }),
        inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], data: images }],
        outputs: [{ name: SCORES_OUTPUT }],
      });
      return encodePredictResponse(response, format);
    });
  }
  for (const base of ['/v1/models/:name', '/v1/models/:name/versions/:version']) {
    scope.get<{ Params: ModelParams }>(base, service, async (request) => {
      const model = state.host.get(request.params.name, request.params.version);
      return { model_version_status: [{ version: model.version, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] };
    });
  }
}
