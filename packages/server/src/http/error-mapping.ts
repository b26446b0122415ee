import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER, RETRY_AFTER_HEADER, TachyonError, type ErrorDetails } from '@tachyon-serve/protocol';
import type { HttpConfig } from './http-options.js';

/** The HTTP error body: `{ error, code, requestId, details? }`. */
export interface HttpErrorBody {
  error: string;
  code: string;
  requestId: string;
  details?: ErrorDetails;
}

export function toErrorBody(error: TachyonError, requestId: string): HttpErrorBody {
  return { ...error.toJSON(), requestId };
}

/**
 * THE mapping from anything thrown while serving HTTP to a TachyonError: ours pass through, fastify's and the
 * multipart plugin's become the matching code, anything else is an internal error (logged, never shown).
 */
export function toTachyonError(error: unknown, config: HttpConfig): TachyonError {
  if (error instanceof TachyonError) return error;
  const e = error as Partial<FastifyError> & {
    validation?: { instancePath?: string; message?: string; params?: unknown }[];
    validationContext?: string;
  };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new TachyonError(
        'TCH_ERR_LIMIT_BODY_TOO_LARGE',
        `The request body is larger than the limit of ${config.bodyLimit} bytes.`,
        {
          details: { bodyLimit: config.bodyLimit },
        },
      );
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new TachyonError(
        'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
        `The request has more than ${config.maxImagesPerRequest} images (parts).`,
        {
          details: { maxImagesPerRequest: config.maxImagesPerRequest },
        },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new TachyonError(
        'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
        'Send the image as image/jpeg, image/png, image/webp, application/octet-stream or multipart/form-data.',
      );
  }
  if (Array.isArray(e.validation)) {
    const issues = e.validation.map((v) => ({
      path: `${e.validationContext ?? ''}${v.instancePath ?? ''}`,
      message: v.message ?? 'invalid',
    }));
    return new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `The request is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}.`,
      { details: { issues } },
    );
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new TachyonError('TCH_ERR_INFER_INVALID', `The request is malformed: ${e.message ?? 'unknown reason'}`, {
      details: { reason: e.code },
    });
  }
  return new TachyonError(
    'TCH_ERR_SERVER_INTERNAL',
    'An unexpected error occurred in the server; its log has the details under this request id.',
    { cause: error },
  );
}

/** Registers the one error handler, the not-found handler and the client-error handler (malformed HTTP, big headers). */
export function registerErrorHandling(app: FastifyInstance, config: HttpConfig): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = toTachyonError(error, config);
    const status = mapped.httpStatus;
    if (status >= 500 && mapped.code !== 'TCH_ERR_SERVER_DRAINING' && mapped.code !== 'TCH_ERR_MODEL_NOT_READY') {
      request.log.error({ err: error, code: mapped.code }, mapped.message);
    }
    // Client errors are in the one per-request line (debug) with their code and message: see http-observability.ts.
    if (mapped.code === 'TCH_ERR_LIMIT_RATE') {
      const retryAfterMs = Number(mapped.details?.['retryAfterMs'] ?? 1000);
      void reply.header(RETRY_AFTER_HEADER, String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    }
    return reply.code(status).type('application/json; charset=utf-8').send(toErrorBody(mapped, request.id));
  });
  app.setNotFoundHandler((request) => {
    const path = (request.url.split('?')[0] ?? '').slice(0, 200);
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `No route matches "${request.method} ${path}".`, {
      details: { method: request.method, path },
    });
  });
}

/** Writes the same JSON error body on a socket the HTTP parser gave up on (no request exists yet). */
export function clientErrorHandler(config: HttpConfig) {
  return function handle(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let mapped: TachyonError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      mapped = new TachyonError(
        'TCH_ERR_LIMIT_BODY_TOO_LARGE',
        `The request headers are larger than the limit of ${config.maxHeaderSize} bytes.`,
        {
          details: { maxHeaderSize: config.maxHeaderSize },
        },
      );
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      mapped = new TachyonError(
        'TCH_ERR_DEADLINE_EXCEEDED',
        `The request was not received within ${config.requestTimeoutMs} ms.`,
        {
          details: { requestTimeoutMs: config.requestTimeoutMs },
        },
      );
    } else {
      mapped = new TachyonError('TCH_ERR_INFER_INVALID', 'The request is not valid HTTP.', {
        details: { reason: err.code },
      });
    }
    const requestId = randomUUID();
    this.log.debug({ reqId: requestId, code: mapped.code, reason: err.code }, 'client error');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(toErrorBody(mapped, requestId));
    socket.end(
      `HTTP/1.1 ${mapped.httpStatus} ${mapped.httpStatus === 400 ? 'Bad Request' : 'Gateway Timeout'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
