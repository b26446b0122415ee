// The bad-input corpus: each kind is one hostile request to a real `tachyon serve` process on 127.0.0.1 (HTTPS,
// keys file, the real MobileNetV2) with the error code the docs promise for it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { call, parseRawReply, rawExchange, type Target } from './http-call.js';
import {
  garbageWithJpegMagic,
  notAnImage,
  pixelBombPng,
  truncated,
  writeAttackZip,
  type ZipAttack,
} from './bad-input-fixtures.js';
import { CLI_BIN, ORANGE, sampleImage, sharedModels } from './paths.js';

export interface CorpusContext {
  target: Target;
  /** The served model name. */
  model: string;
  /** A key in force now (rotation changes it). */
  key(): string;
  adminKey: string;
  /** Scratch folder for attack files. */
  workDir: string;
  /** Writes new keys, sends SIGHUP, waits for the reload; returns the key that was revoked. */
  rotateKeys(): Promise<string>;
}

/** What came back: an HTTP status and code, or a connection closed without an HTTP answer, or a process exit. */
export interface Observed {
  status?: number;
  code?: string;
  /** The connection was closed (or reset) with no HTTP answer. */
  closedWithoutAnswer?: boolean;
  /** For kinds that start a process: its exit code. */
  exitCode?: number | null;
  note?: string;
}

export interface BadInputKind {
  id: string;
  title: string;
  /** The documented answer: a TCH_ERR code (status from its kind), or 'closed' (the TLS layer drops the connection). */
  expected: string;
  /** Only in the full command, not in CI (it takes the server's request timeout, 60 s + Node's 30 s check interval). */
  slow?: boolean;
  send(ctx: CorpusContext): Promise<Observed>;
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const orange = () => sampleImage(ORANGE.file);

async function classify(
  ctx: CorpusContext,
  body: Uint8Array | string,
  contentType = 'image/jpeg',
  extra: Record<string, string> = {},
): Promise<Observed> {
  const a = await call(ctx.target, `/v1/services/${ctx.model}/classify`, {
    method: 'POST',
    headers: { ...bearer(ctx.key()), 'content-type': contentType, ...extra },
    body,
  });
  return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
}

async function kserve(
  ctx: CorpusContext,
  json: unknown,
  path = `/v2/models/${ctx.model}/infer`,
  headers: Record<string, string> = {},
): Promise<Observed> {
  const body = typeof json === 'string' || Buffer.isBuffer(json) ? json : JSON.stringify(json);
  const a = await call(ctx.target, path, {
    method: 'POST',
    headers: { ...bearer(ctx.key()), 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
}

const imagesInput = (data: unknown[], extra: Record<string, unknown> = {}) => ({
  inputs: [{ name: 'images', datatype: 'BYTES', shape: [data.length], data, ...extra }],
});
const b64 = (bytes: Uint8Array) => ({ b64: Buffer.from(bytes).toString('base64') });

async function repositoryLoad(ctx: CorpusContext, attack: ZipAttack): Promise<Observed> {
  const source = await writeAttackZip(join(ctx.workDir, 'zips'), attack);
  const a = await call(ctx.target, `/v2/repository/models/attack-${attack}/load`, {
    method: 'POST',
    headers: { ...bearer(ctx.adminKey), 'content-type': 'application/json' },
    body: JSON.stringify({ parameters: { source } }),
  });
  return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
}

function raw(reply: { text: string; closed: boolean; error: string | undefined }): Observed {
  const parsed = parseRawReply(reply.text);
  if (parsed === undefined)
    return { closedWithoutAnswer: reply.closed, note: reply.error ?? (reply.closed ? 'closed' : 'no answer in time') };
  return { status: parsed.status, ...(parsed.code === undefined ? {} : { code: parsed.code }) };
}

/** `tachyon serve` on every interface without TLS: refused before any model loads or port opens. */
function insecureListen(ctx: CorpusContext): Promise<Observed> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        CLI_BIN,
        '--model-path',
        sharedModels(),
        '--offline',
        'serve',
        '--model',
        'mobilenetv2-int8',
        '--host',
        '0.0.0.0',
        '--http-port',
        '0',
        '--grpc-port',
        '0',
      ],
      {
        cwd: ctx.workDir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const found = /error (TCH_ERR_[A-Z_]+):/.exec(stderr)?.[1];
      resolve({ exitCode: code, ...(found === undefined ? {} : { code: found }) });
    });
  });
}

/** Opens a connection and sends one header line every `everyMs`, never finishing the request. */
async function slowloris(ctx: CorpusContext): Promise<Observed> {
  const lines = [`POST /v1/services/${ctx.model}/classify HTTP/1.1\r\n`, 'Host: localhost\r\n'];
  for (let i = 0; i < 40; i++) lines.push(`x-slow-${i}: ${'a'.repeat(8)}\r\n`);
  const reply = await slowExchange(ctx.target, lines, 3_000, 150_000);
  return raw(reply);
}

function slowExchange(
  target: Target,
  lines: string[],
  everyMs: number,
  limitMs: number,
): Promise<{ text: string; closed: boolean; error: string | undefined }> {
  // rawExchange writes everything at once; a slowloris writes on a timer until the server answers or drops it.
  return new Promise((resolve) => {
    void import('node:tls').then(({ connect }) => {
      const url = new URL(target.origin);
      const socket = connect({
        host: '127.0.0.1',
        port: Number(url.port),
        ...(target.ca === undefined ? {} : { ca: target.ca }),
        servername: 'localhost',
      });
      const received: Buffer[] = [];
      let error: string | undefined;
      let next = 0;
      const drip = setInterval(() => {
        if (next < lines.length && socket.writable) socket.write(lines[next++]!);
      }, everyMs);
      const finish = (closed: boolean) => {
        clearInterval(drip);
        clearTimeout(limit);
        socket.destroy();
        resolve({ text: Buffer.concat(received).toString('latin1'), closed, error });
      };
      const limit = setTimeout(() => finish(false), limitMs);
      socket.on('data', (c: Buffer) => received.push(c));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      socket.on('close', () => finish(true));
      socket.once('secureConnect', () => socket.write(lines[next++]!));
    });
  });
}

export const BAD_INPUT_KINDS: readonly BadInputKind[] = Object.freeze([
  {
    id: 'jpeg-truncated',
    title: 'JPEG cut at 40 % of its bytes',
    expected: 'TCH_ERR_IMAGE_CORRUPT',
    send: (c) => classify(c, truncated(orange())),
  },
  {
    id: 'jpeg-empty',
    title: '0-byte body as image/jpeg',
    expected: 'TCH_ERR_IMAGE_EMPTY',
    send: (c) => classify(c, Buffer.alloc(0)),
  },
  {
    id: 'jpeg-garbage',
    title: 'JPEG magic bytes followed by noise',
    expected: 'TCH_ERR_IMAGE_CORRUPT',
    send: (c) => classify(c, garbageWithJpegMagic()),
  },
  {
    id: 'not-an-image',
    title: 'plain text sent as image/jpeg',
    expected: 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
    send: (c) => classify(c, notAnImage()),
  },
  {
    id: 'png-pixel-bomb',
    title: 'PNG declaring 50000 x 50000 pixels (2.5 Gpx) in a few KB',
    expected: 'TCH_ERR_IMAGE_TOO_MANY_PIXELS',
    send: (c) => classify(c, pixelBombPng(), 'image/png'),
  },
  {
    id: 'huge-body',
    title: '21 MiB body (limit 20 MiB)',
    expected: 'TCH_ERR_LIMIT_BODY_TOO_LARGE',
    // The server refuses from Content-Length alone and closes without reading the body; a client still writing it can
    // get EPIPE/ECONNRESET instead of the answer, so this client (like one using Expect: 100-continue) waits for an
    // early answer before sending the body.
    send: async (c) => {
      const body = Buffer.alloc(21 * 1024 * 1024, 0xff);
      const head = `POST /v1/services/${c.model}/classify HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${c.key()}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
      return raw(await rawExchange(c.target, [head, body], { earlyAnswerMs: 5000 }));
    },
  },
  {
    id: 'gzip-bomb-body',
    title: 'KServe body, Content-Encoding gzip, 64 MiB once inflated',
    expected: 'TCH_ERR_LIMIT_BODY_TOO_LARGE',
    send: (c) =>
      kserve(c, gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), undefined, { 'content-encoding': 'gzip' }).catch(
        () => ({ note: 'request failed' }),
      ),
  },
  {
    id: 'wrong-content-type',
    title: 'text/plain body on the raw-image route',
    expected: 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
    send: (c) => classify(c, 'hello', 'text/plain'),
  },
  {
    id: 'malformed-json',
    title: 'KServe infer with truncated JSON',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => kserve(c, '{"inputs": [{"name": "images", '),
  },
  {
    id: 'tensor-wrong-shape',
    title: 'BYTES tensor of shape [2] with one element',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => kserve(c, { inputs: [{ name: 'images', datatype: 'BYTES', shape: [2], data: [b64(orange())] }] }),
  },
  {
    id: 'tensor-wrong-datatype',
    title: 'FP32 numbers where the model takes BYTES images',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => kserve(c, { inputs: [{ name: 'images', datatype: 'FP32', shape: [1, 3], data: [0.1, 0.2, 0.3] }] }),
  },
  {
    id: 'tensor-unknown-datatype',
    title: 'datatype "FLOAT128"',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => kserve(c, { inputs: [{ name: 'images', datatype: 'FLOAT128', shape: [1], data: [1] }] }),
  },
  {
    id: 'tensor-unknown-input',
    title: 'input named "pixels" (the model has "images")',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => kserve(c, { inputs: [{ name: 'pixels', datatype: 'BYTES', shape: [1], data: [b64(orange())] }] }),
  },
  {
    id: 'binary-framing',
    title: 'binary tensor extension: binary_data_size past the end of the body',
    expected: 'TCH_ERR_INFER_INVALID',
    send: async (c) => {
      const header = Buffer.from(
        JSON.stringify({
          inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 1_000_000 } }],
        }),
      );
      const a = await call(c.target, `/v2/models/${c.model}/infer`, {
        method: 'POST',
        headers: {
          ...bearer(c.key()),
          'inference-header-content-length': String(header.length),
          'content-type': 'application/octet-stream',
        },
        body: Buffer.concat([header, Buffer.alloc(100)]),
      });
      return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
    },
  },
  {
    id: 'bytes-not-image',
    title: 'BYTES tensor whose element is text, not an image',
    expected: 'TCH_ERR_IMAGE_UNSUPPORTED_FORMAT',
    send: (c) => kserve(c, imagesInput([b64(notAnImage())])),
  },
  {
    id: 'too-many-images',
    title: '65 images in one request (limit 64)',
    expected: 'TCH_ERR_LIMIT_TOO_MANY_IMAGES',
    send: (c) => kserve(c, imagesInput(Array.from({ length: 65 }, () => b64(Buffer.from('x'))))),
  },
  {
    id: 'unknown-model',
    title: 'infer on a model that is not served',
    expected: 'TCH_ERR_MODEL_NOT_FOUND',
    send: (c) => kserve(c, imagesInput([b64(orange())]), '/v2/models/no-such-model/infer'),
  },
  {
    id: 'unknown-version',
    title: 'infer on version 7 of the served model',
    expected: 'TCH_ERR_MODEL_NOT_FOUND',
    send: (c) => kserve(c, imagesInput([b64(orange())]), `/v2/models/${c.model}/versions/7/infer`),
  },
  {
    id: 'bad-deadline-header',
    title: 'x-request-timeout-ms: -5',
    expected: 'TCH_ERR_INFER_INVALID',
    send: (c) => classify(c, orange(), 'image/jpeg', { 'x-request-timeout-ms': '-5' }),
  },
  {
    id: 'missing-key',
    title: 'no Authorization header',
    expected: 'TCH_ERR_AUTH_MISSING',
    send: async (c) => {
      const a = await call(c.target, `/v1/services/${c.model}/classify`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: orange(),
      });
      return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
    },
  },
  {
    id: 'wrong-key',
    title: 'a key that was never issued',
    expected: 'TCH_ERR_AUTH_INVALID',
    send: async (c) => {
      const a = await call(c.target, `/v1/services/${c.model}/classify`, {
        method: 'POST',
        headers: { ...bearer('not-a-key-0123456789abcdef'), 'content-type': 'image/jpeg' },
        body: orange(),
      });
      return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
    },
  },
  {
    id: 'rotated-out-key',
    title: 'a key revoked by rotation (keys file rewritten, SIGHUP)',
    expected: 'TCH_ERR_AUTH_INVALID',
    send: async (c) => {
      const revoked = await c.rotateKeys();
      const a = await call(c.target, `/v1/services/${c.model}/classify`, {
        method: 'POST',
        headers: { ...bearer(revoked), 'content-type': 'image/jpeg' },
        body: orange(),
      });
      return { status: a.status, ...(a.code === undefined ? {} : { code: a.code }) };
    },
  },
  {
    id: 'zip-slip',
    title: "service-definition zip with an entry '../../reliability-pwned.txt' (repository load)",
    expected: 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE',
    send: (c) => repositoryLoad(c, 'zip-slip'),
  },
  {
    id: 'zip-symlink',
    title: 'service-definition zip with a symlink entry to /etc/passwd',
    expected: 'TCH_ERR_SVCDEF_UNSAFE_ARCHIVE',
    send: (c) => repositoryLoad(c, 'symlink'),
  },
  {
    id: 'zip-bomb',
    title: 'service-definition zip with 50 MiB of zeros deflated (> 200:1)',
    expected: 'TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE',
    send: (c) => repositoryLoad(c, 'zip-bomb'),
  },
  {
    id: 'zip-bad-manifest',
    title: 'service.json with a stage of unknown kind',
    expected: 'TCH_ERR_SVCDEF_INVALID',
    send: (c) => repositoryLoad(c, 'bad-manifest'),
  },
  {
    id: 'plain-http-to-tls',
    title: 'plain HTTP request sent to the HTTPS port',
    expected: 'closed',
    send: async (c) =>
      raw(await rawExchange(c.target, [`GET /v2/health/ready HTTP/1.1\r\nHost: localhost\r\n\r\n`], { plain: true })),
  },
  {
    id: 'insecure-listen',
    title: 'tachyon serve on 0.0.0.0 without TLS (plaintext where TLS is required)',
    expected: 'TCH_ERR_SERVER_INSECURE',
    send: insecureListen,
  },
  {
    id: 'oversized-headers',
    title: 'a 32 KiB header (limit 16 KiB)',
    expected: 'TCH_ERR_LIMIT_BODY_TOO_LARGE',
    send: async (c) =>
      raw(
        await rawExchange(c.target, [
          `GET /v2/health/live HTTP/1.1\r\nHost: localhost\r\nx-pad: ${'a'.repeat(32 * 1024)}\r\n\r\n`,
        ]),
      ),
  },
  {
    id: 'not-http',
    title: 'binary noise instead of an HTTP request line',
    expected: 'TCH_ERR_INFER_INVALID',
    send: async (c) => raw(await rawExchange(c.target, [garbageWithJpegMagic()])),
  },
  {
    id: 'slowloris',
    title: 'headers trickled one line every 3 s, never finished',
    expected: 'TCH_ERR_DEADLINE_EXCEEDED',
    slow: true,
    send: slowloris,
  },
]);

/** Writes a keys file (mode 0600) for the corpus server. */
export function writeKeysFile(path: string, keys: { primary: string; secondary: string; admin: string }): void {
  writeFileSync(path, `${JSON.stringify(keys)}\n`, { mode: 0o600 });
}
