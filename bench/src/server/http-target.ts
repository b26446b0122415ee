// One keep-alive HTTP/1.1 connection to a server on loopback (undici Client: one socket, no pipelining), so that
// at concurrency 1 every call reuses the same warm connection, as a latency-sensitive client would.
import { Client } from 'undici';

export interface HttpAnswer {
  status: number;
  body: unknown;
  serverTiming?: string;
}

export class HttpTarget {
  readonly #client: Client;
  /** Server-Timing headers of the answers, when `recordTiming` (parsed after the measurement, not while timed). */
  readonly serverTimings: string[] = [];

  constructor(
    readonly origin: string,
    private readonly headers: Record<string, string> = {},
    private readonly recordTiming = false,
  ) {
    this.#client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
  }

  /** The whole answer read and parsed as JSON (what a client needs before it can use the result). */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body?: Uint8Array,
    contentType = 'image/jpeg',
  ): Promise<HttpAnswer> {
    const res = await this.#client.request({
      method,
      path,
      headers: body === undefined ? this.headers : { ...this.headers, 'content-type': contentType },
      ...(body === undefined ? {} : { body }),
    });
    const parsed: unknown = await res.body.json();
    if (res.statusCode !== 200)
      throw new Error(
        `${method} ${this.origin}${path}: HTTP ${res.statusCode} ${JSON.stringify(parsed).slice(0, 300)}`,
      );
    const timing = res.headers['server-timing'];
    if (this.recordTiming && typeof timing === 'string') this.serverTimings.push(timing);
    return { status: res.statusCode, body: parsed, ...(typeof timing === 'string' ? { serverTiming: timing } : {}) };
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** `queue;dur=0.012, preprocess;dur=...` -> { queue: 0.012, ... } (milliseconds). */
export function parseServerTiming(header: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.find((p) => p.trim().startsWith('dur='));
    if (name && dur) out[name.trim()] = Number(dur.trim().slice(4));
  }
  return out;
}
