import { randomUUID } from 'node:crypto';
import { Agent } from 'undici';
import {
  AUTHORIZATION_HEADER,
  DEADLINE_HEADER,
  REQUEST_ID_HEADER,
  TachyonError,
  bearerAuthorization,
} from '@tachyon-serve/protocol';
import type { ClientConfig } from './client-options.js';
import { withRetries, type Attempt } from './retry.js';

export interface HttpCall {
  method: 'GET' | 'POST';
  /** Below the client's base path, starting with '/'. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Overrides the client's deadline for this call. */
  timeoutMs?: number;
  /** Retry a 503 answer (UNAVAILABLE: draining, model not ready). Connection errors are always retried. @default true */
  retryUnavailable?: boolean;
  signal?: AbortSignal;
}

export interface HttpReply {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
  requestId: string;
}

// Errors that mean "the connection failed before an answer": safe to retry, inference being idempotent.
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * HTTP over one undici Agent (keep-alive pool per origin, the custom CA on its TLS connect). One deadline per call
 * covers every attempt; the time left is sent as `x-request-timeout-ms` so the server can drop work nobody waits for.
 */
export class HttpTransport {
  readonly #agent: Agent;

  constructor(private readonly config: ClientConfig) {
    this.#agent = new Agent({
      connections: config.connections,
      ...(config.ca === undefined
        ? {}
        : { connect: { ca: config.ca.map((c) => (typeof c === 'string' ? c : Buffer.from(c))) } }),
    });
  }

  async call(call: HttpCall): Promise<HttpReply> {
    const { config } = this;
    const requestId = randomUUID();
    return withRetries(
      config,
      call,
      () => deadlineError(call, requestId),
      async (remaining): Promise<Attempt<HttpReply>> => {
        const timeout = AbortSignal.timeout(remaining);
        const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
        try {
          const res = await this.#agent.request({
            origin: config.origin,
            path: config.basePath + call.path,
            method: call.method,
            headers: {
              ...call.headers,
              [REQUEST_ID_HEADER]: requestId,
              [DEADLINE_HEADER]: String(remaining),
              ...(config.key === undefined ? {} : { [AUTHORIZATION_HEADER]: bearerAuthorization(config.key) }),
            },
            body: call.body ?? null,
            signal,
          });
          const body = Buffer.from(await res.body.arrayBuffer());
          const reply: HttpReply = { status: res.statusCode, headers: res.headers, body, requestId };
          if (res.statusCode !== 503 || call.retryUnavailable === false) return { value: reply };
          return { retry: errorFromReply(reply) };
        } catch (error) {
          if (call.signal?.aborted) throw error;
          if (timeout.aborted) throw deadlineError(call, requestId, error);
          const failure = connectionError(error, config.origin, requestId);
          if (failure.code === 'TCH_ERR_CLIENT_TLS_FAILED' || !isConnectionError(error)) throw failure;
          return { retry: failure };
        }
      },
    );
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/** Rebuilds the server's `{ error, code, details? }` body as a TachyonError (with the request id in details). */
export function errorFromReply(reply: HttpReply): TachyonError {
  let body: unknown;
  try {
    body = JSON.parse(reply.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (isErrorBody(body)) {
    const requestId = typeof body['requestId'] === 'string' ? body['requestId'] : reply.requestId;
    return TachyonError.fromJSON({ error: body.error, code: body.code, details: { ...body.details, requestId } });
  }
  const gateway = reply.status === 502 || reply.status === 503 || reply.status === 504;
  return new TachyonError(
    gateway ? 'TCH_ERR_CLIENT_UNREACHABLE' : 'TCH_ERR_CLIENT_BAD_RESPONSE',
    `The server answered HTTP ${reply.status} without a tachyon error body.`,
    { details: { status: reply.status, requestId: reply.requestId } },
  );
}

function isErrorBody(
  body: unknown,
): body is { error: string; code: string; details?: Record<string, unknown>; [k: string]: unknown } {
  const b = body as Record<string, unknown> | undefined;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b['error'] === 'string' &&
    typeof b['code'] === 'string' &&
    (b['details'] === undefined || (typeof b['details'] === 'object' && b['details'] !== null))
  );
}

function errorCode(error: unknown): string {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return String(e?.code ?? e?.cause?.code ?? '');
}

function isConnectionError(error: unknown): boolean {
  return CONNECTION_ERRORS.has(errorCode(error));
}

function connectionError(error: unknown, origin: string, requestId: string): TachyonError {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code) || /certificate/i.test(message)) {
    return new TachyonError('TCH_ERR_CLIENT_TLS_FAILED', `The TLS handshake with "${origin}" failed: ${message}`, {
      details: { origin, reason: code || message, requestId },
      cause: error,
    });
  }
  return new TachyonError('TCH_ERR_CLIENT_UNREACHABLE', `Cannot reach "${origin}": ${code || message}.`, {
    details: { origin, reason: code || message, requestId },
    cause: error,
  });
}

function deadlineError(call: HttpCall, requestId: string, cause?: unknown): TachyonError {
  return new TachyonError(
    'TCH_ERR_CLIENT_DEADLINE',
    `"${call.method} ${call.path}" did not complete within its deadline.`,
    {
      details: { requestId },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
