import { readFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import {
  AUTHORIZATION_HEADER,
  ERROR_CODES,
  TachyonError,
  bearerAuthorization,
  type ErrorCode,
  type ServiceSpec,
  type ServiceStatus,
} from '@tachyon-serve/protocol';

export interface ServiceCall {
  method: 'GET' | 'POST';
  /** Path and query on the service process, e.g. `/v2/metrics/history`. */
  path: string;
  /** The key sent as `Authorization: Bearer` (never logged, never sent back). */
  key: string;
  body?: Buffer;
  contentType?: string;
  /** @default 30000 */
  timeoutMs?: number;
}

export interface ServiceAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Wall time of the call as the daemon saw it (connect + TLS + server + transfer), in ms. */
  elapsedMs: number;
}

/** The PEM the daemon trusts for a service: its self-signed certificate, or the certificate of its own pair. */
async function trustFor(status: ServiceStatus): Promise<Buffer | undefined> {
  const tls = (status.spec as ServiceSpec).tls;
  const file = status.caFile ?? (typeof tls === 'object' && tls !== null ? tls.certFile : undefined);
  return file === undefined ? undefined : readFile(file);
}

/**
 * One call from the daemon to a service process on 127.0.0.1, over its own TLS (the daemon trusts the service's
 * certificate, so the browser never needs it). TCH_ERR_MODEL_NOT_READY while the process does not listen,
 * TCH_ERR_CLIENT_UNREACHABLE when the connection fails; any HTTP status is returned as is.
 */
export async function callService(status: ServiceStatus, call: ServiceCall): Promise<ServiceAnswer> {
  if (status.httpUrl === undefined) {
    throw new TachyonError(
      'TCH_ERR_MODEL_NOT_READY',
      `Service "${status.name}" has no running process (state ${status.state}).`,
      { details: { service: status.name, state: status.state } },
    );
  }
  const url = new URL(call.path, status.httpUrl);
  const ca = url.protocol === 'https:' ? await trustFor(status) : undefined;
  const headers: Record<string, string> = { [AUTHORIZATION_HEADER]: bearerAuthorization(call.key) };
  if (call.body !== undefined) {
    headers['content-type'] = call.contentType ?? 'application/octet-stream';
    headers['content-length'] = String(call.body.length);
  }
  const timeout = call.timeoutMs ?? 30_000;
  const started = performance.now();
  return new Promise<ServiceAnswer>((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          elapsedMs: performance.now() - started,
        }),
      );
    };
    const options = { method: call.method, headers, timeout, agent: false as const };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...options, ...(ca === undefined ? {} : { ca }) }, onResponse)
        : http.request(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', (cause) =>
      reject(
        new TachyonError(
          'TCH_ERR_CLIENT_UNREACHABLE',
          `The daemon could not reach service "${status.name}" at ${url.origin}.`,
          { details: { service: status.name }, cause },
        ),
      ),
    );
    req.end(call.body);
  });
}

/** The JSON body of a successful answer; a service error is re-thrown with the service's code (its kind gives the status). */
export function jsonOf(status: ServiceStatus, answer: ServiceAnswer): unknown {
  let body: unknown;
  try {
    body = JSON.parse(answer.body.toString('utf8'));
  } catch {
    body = undefined;
  }
  if (answer.status >= 200 && answer.status < 300 && body !== undefined) return body;
  const error = body as { code?: unknown; error?: unknown; details?: unknown } | undefined;
  const code = typeof error?.code === 'string' && error.code in ERROR_CODES ? (error.code as ErrorCode) : undefined;
  if (code !== undefined) {
    const message =
      typeof error?.error === 'string' ? error.error : `Service "${status.name}" answered ${answer.status}.`;
    throw new TachyonError(code, message, { details: { service: status.name, status: answer.status } });
  }
  throw new TachyonError(
    'TCH_ERR_CLIENT_BAD_RESPONSE',
    `Service "${status.name}" answered ${answer.status} without a tachyon error body.`,
    { details: { service: status.name, status: answer.status } },
  );
}

/** `queue;dur=1.2, compute;dur=3.4, batch;desc="2"` -> `{queue: 1.2, compute: 3.4}` (durations only). */
export function parseServerTiming(header: string | string[] | undefined): Record<string, number> {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([A-Za-z][\w-]*)\s*;.*?dur=([\d.]+)/.exec(part);
    if (match !== null) out[match[1]!] = Number(match[2]);
  }
  return out;
}
