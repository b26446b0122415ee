import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TachyonError } from '@tachyon-serve/protocol';
import type { HttpConfig } from '../http-options.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/**
 * In this plugin scope every body arrives as one Buffer whatever its Content-Type (Triton clients send none, urllib
 * sends a form type): the KServe and TF-Serving codecs read JSON and binary tensor data themselves.
 */
export function acceptAnyBodyAsBuffer(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
}

/** The request body, inflated when `Content-Encoding` is gzip or deflate (tritonclient's request compression). */
export async function bodyBytes(request: FastifyRequest, config: HttpConfig): Promise<Buffer> {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  const inflateFn = encoding === 'gzip' ? gunzipAsync : encoding === 'deflate' ? inflateAsync : undefined;
  if (!inflateFn)
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `Content-Encoding "${encoding.slice(0, 32)}" is not supported; use gzip, deflate or none.`,
    );
  try {
    return await inflateFn(body, { maxOutputLength: config.bodyLimit });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new TachyonError(
        'TCH_ERR_LIMIT_BODY_TOO_LARGE',
        `The decompressed body is larger than the limit of ${config.bodyLimit} bytes.`,
        {
          details: { bodyLimit: config.bodyLimit },
        },
      );
    }
    throw new TachyonError('TCH_ERR_INFER_INVALID', `The body is not valid ${encoding} data.`, { cause });
  }
}
