import type { FastifyInstance } from 'fastify';
import { SCORES_OUTPUT, IMAGE_INPUT } from '@tachyon-serve/core';
import { buildSignatureDefMap, modelVersionStatus, resolveSignatureName } from '../../codec/tf-serving-model.js';
import { parseJson } from '../codec/kserve-request.js';
import { decodePredictRequest, encodePredictResponse } from '../codec/tf-serving.js';
import type { HttpServerState } from '../fastify-types.js';
import { runInfer } from '../run-infer.js';
import { acceptAnyBodyAsBuffer, bodyBytes } from './raw-body.js';

type ModelParams = { name: string; version?: string };

/**
 * TF-Serving REST: `POST /v1/models/NAME[/versions/V]:predict` (the original Brainwave wire format, over HTTP), the
 * model status `GET /v1/models/NAME[/versions/V]` and the model metadata `GET /v1/models/NAME[/versions/V]/metadata`
 * (the same answers as gRPC GetModelStatus and GetModelMetadata, in TF-Serving's JSON: int64 as strings).
 */
export async function tfServingRoutes(scope: FastifyInstance, state: HttpServerState): Promise<void> {
  acceptAnyBodyAsBuffer(scope);
  const service = { config: { access: 'service' as const } };
  for (const base of ['/v1/models/:name(^[^/:]+)', '/v1/models/:name/versions/:version(^[0-9]+)']) {
    scope.post<{ Params: ModelParams }>(
      `${base}::predict`,
      { config: { access: 'service', protocol: 'tf-serving-http' } },
      async (request, reply) => {
        const body = parseJson(await bodyBytes(request, state.config));
        resolveSignatureName(body['signature_name'], request.params.name);
        const { format, images } = decodePredictRequest(body);
        const response = await runInfer(state, request, reply, {
          id: request.id,
          modelName: request.params.name,
          ...(request.params.version === undefined ? {} : { modelVersion: request.params.version }),
          inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], data: images }],
          outputs: [{ name: SCORES_OUTPUT }],
        });
        return encodePredictResponse(response, format);
      },
    );
  }
  for (const base of ['/v1/models/:name', '/v1/models/:name/versions/:version']) {
    scope.get<{ Params: ModelParams }>(base, service, async (request) => ({
      model_version_status: await modelVersionStatus(state.host, request.params.name, request.params.version),
    }));
    scope.get<{ Params: ModelParams }>(`${base}/metadata`, service, async (request) => {
      const { name, version } = request.params;
      const metadata = state.host.metadata(name, version);
      const signatures = buildSignatureDefMap(metadata).signature_def;
      // proto3 JSON, as TF-Serving writes it: int64 (version, dimension sizes) as strings.
      for (const signature of Object.values(signatures)) {
        for (const info of [...Object.values(signature.inputs), ...Object.values(signature.outputs)]) {
          (info.tensor_shape as { dim: { size: number | string }[] }).dim.forEach((d) => (d.size = String(d.size)));
        }
      }
      return {
        model_spec: { name, signature_name: '', version: state.host.get(name, version).version },
        metadata: { signature_def: { signature_def: signatures } },
      };
    });
  }
}
