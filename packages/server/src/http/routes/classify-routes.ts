import type { FastifyInstance, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { TachyonError } from '@tachyon-serve/protocol';
import { IMAGE_INPUT, SCORES_OUTPUT } from '@tachyon-serve/core';
import type { HttpServerState } from '../fastify-types.js';
import type { HttpConfig } from '../http-options.js';
import { runInfer } from '../run-infer.js';

export const IMAGE_CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/octet-stream'] as const;

/**
 * The raw-image route: `POST /v1/services/NAME/classify`, body = one image (its bytes) or multipart/form-data with
 * one file part per image; `?top=K` -> `{"results": [{"file", "top": [{"index", "label", "score"}]}]}`.
 */
export async function classifyRoutes(scope: FastifyInstance, state: HttpServerState): Promise<void> {
  const { config } = state;
  scope.removeAllContentTypeParsers();
  for (const type of IMAGE_CONTENT_TYPES)
    scope.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  await scope.register(multipart, {
    limits: {
      fileSize: config.bodyLimit,
      files: config.maxImagesPerRequest,
      parts: config.maxImagesPerRequest + 16,
      fields: 16,
      fieldSize: 64 * 1024,
      headerPairs: 64,
    },
  });
  scope.post<{ Params: { name: string }; Querystring: { top: number } }>(
    '/v1/services/:name/classify',
    {
      config: { access: 'service', protocol: 'raw' },
      schema: {
        querystring: {
          type: 'object',
          properties: { top: { type: 'integer', minimum: 1, maximum: 1000, default: 5 } },
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart() && !Buffer.isBuffer(request.body)) {
        throw new TachyonError(
          'TCH_ERR_IMAGE_EMPTY',
          'The request has no body; send the image bytes with Content-Type image/jpeg, image/png or image/webp.',
        );
      }
      const { images, files } = request.isMultipart()
        ? await readParts(request, config)
        : { images: [request.body as Buffer], files: [null] };
      const response = await runInfer(state, request, reply, {
        id: request.id,
        modelName: request.params.name,
        inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], data: images }],
        outputs: [{ name: SCORES_OUTPUT, classification: request.query.top }],
      });
      return { results: response.outputs[0]!.top!.map((top, i) => ({ file: files[i] ?? null, top })) };
    },
  );
}

async function readParts(
  request: FastifyRequest,
  config: HttpConfig,
): Promise<{ images: Buffer[]; files: (string | null)[] }> {
  if (Number(request.headers['content-length']) > config.bodyLimit) throw tooLarge(config);
  const images: Buffer[] = [];
  const files: (string | null)[] = [];
  let total = 0;
  for await (const part of request.parts()) {
    if (part.type !== 'file') continue;
    const bytes = await part.toBuffer();
    total += bytes.length;
    if (total > config.bodyLimit) throw tooLarge(config);
    images.push(bytes);
    files.push(part.filename === '' ? null : part.filename);
  }
  if (images.length === 0)
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      'The multipart body has no file part; send each image as a file part.',
    );
  return { images, files };
}

function tooLarge(config: HttpConfig): TachyonError {
  return new TachyonError(
    'TCH_ERR_LIMIT_BODY_TOO_LARGE',
    `The request body is larger than the limit of ${config.bodyLimit} bytes.`,
    { details: { bodyLimit: config.bodyLimit } },
  );
}
