// HTTP(S) calls on 127.0.0.1 for the suite: one undici Agent per target (trusting its CA), answers reduced to
// status + TCH_ERR code, and raw sockets for what a well-behaved client cannot send.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';

export interface Answer {
  status: number;
  /** `code` of the JSON error body, when there is one. */
  code: string | undefined;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface Target {
  /** `http://127.0.0.1:PORT` or `https://...`. */
  origin: string;
  /** PEM CA to trust for https. */
  ca?: string;
}

const agents = new WeakMap<Target, Agent>();

function agentFor(target: Target): Agent {
  let agent = agents.get(target);
  if (agent === undefined) {
    agent = new Agent({ connect: target.ca === undefined ? {} : { ca: target.ca }, keepAliveTimeout: 10_000 });
    agents.set(target, agent);
  }
  return agent;
}

export async function closeTarget(target: Target): Promise<void> {
  await agents.get(target)?.close();
  agents.delete(target);
}

export interface CallOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export async function call(target: Target, path: string, options: CallOptions = {}): Promise<Answer> {
  const res = await request(`${target.origin}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    dispatcher: agentFor(target),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (e.g. binary output)
  }
  const code =
    typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string'
      ? (body as { code: string }).code
      : undefined;
  return { status: res.statusCode, code, body, headers: res.headers };
}

export interface RawReply {
  /** Everything the server wrote before it closed the connection (or the wait ended). */
  text: string;
  /** Whether the server closed (or reset) the connection. */
  closed: boolean;
  /** The socket error, if any (e.g. ECONNRESET). */
  error: string | undefined;
}

/** Opens a socket (TLS when the origin is https, unless `plain`), writes `chunks` and collects the reply. */
export function rawExchange(
  target: Target,
  chunks: readonly (string | Buffer)[],
  options: {
    plain?: boolean;
    waitMs?: number /** Send the first chunk, then the rest only if nothing came back within this long. */;
    earlyAnswerMs?: number;
  } = {},
): Promise<RawReply> {
  const url = new URL(target.origin);
  const tls = url.protocol === 'https:' && options.plain !== true;
  return new Promise((resolve) => {
    const socket: Socket = tls
      ? tlsConnect({
          host: '127.0.0.1',
          port: Number(url.port),
          ...(target.ca === undefined ? {} : { ca: target.ca }),
          servername: 'localhost',
        })
      : netConnect(Number(url.port), '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | undefined;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(received).toString('latin1'), closed, error });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 15_000);
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => finish(true));
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      if (options.earlyAnswerMs === undefined) {
        for (const chunk of chunks) socket.write(chunk);
        return;
      }
      socket.write(chunks[0]!);
      setTimeout(() => {
        if (received.length === 0 && !socket.destroyed) for (const chunk of chunks.slice(1)) socket.write(chunk);
      }, options.earlyAnswerMs);
    });
  });
}

/** Status and code of a raw HTTP reply (`HTTP/1.1 400 ...` + JSON body), or undefined when there is none. */
export function parseRawReply(text: string): { status: number; code: string | undefined } | undefined {
  const match = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  if (!match) return undefined;
  const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
  const code = /"code":"(TCH_ERR_[A-Z_]+)"/.exec(body)?.[1];
  return { status: Number(match[1]), code };
}
