import * as http from 'node:http';
import * as https from 'node:https';
import { AUTHORIZATION_HEADER, bearerAuthorization } from '@tachyon-serve/protocol';

export interface ChildRequest {
  method: 'GET' | 'POST';
  url: string;
  /** PEM to trust for https (the service's self-signed certificate). */
  ca?: Buffer | undefined;
  bearer?: string | undefined;
  body?: unknown;
  timeoutMs: number;
}

/** One small JSON call to a service process on 127.0.0.1 (health checks, model control); never throws on a status. */
export function childRequest(request: ChildRequest): Promise<{ status: number; body: unknown }> {
  const url = new URL(request.url);
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
  const headers: Record<string, string> = {
    ...(request.bearer === undefined ? {} : { [AUTHORIZATION_HEADER]: bearerAuthorization(request.bearer) }),
    ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
  };
  const options = { method: request.method, headers, timeout: request.timeoutMs, agent: false as const };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    };
    const req =
      url.protocol === 'https:'
        ? https.request(url, { ...options, ...(request.ca === undefined ? {} : { ca: request.ca }) }, onResponse)
        : http.request(url, options, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
