// The client against small node:http servers on 127.0.0.1 that play the server's side of the wire.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { createClient, type ClientOptions } from '../src/index.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9]);
const KEY = 'test-key-0123456789abcdef';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (seen: Seen, res: ServerResponse, attempt: number) => void;

/** A server answering with `handler`; every request is recorded. Closed after the test. */
async function fakeServer(t: TestContext, handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks) };
      seen.push(entry);
      handler(entry, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(t: TestContext, options: ClientOptions) {
  const c = createClient({ key: KEY, backoffMs: 1, ...options });
  t.after(() => c.close());
  return c;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};
const TOP = [{ index: 1, label: 'goldfish', score: 0.99 }];

test('classify: one image is the body, labelled by its magic bytes, with key, deadline and request id headers', async (t) => {
  const server = await fakeServer(t, (_s, res) => json(res, 200, { results: [{ file: null, top: TOP }] }));
  const results = await client(t, { url: `${server.url}/`, timeoutMs: 5000 }).classify('my model', JPEG, { top: 3 });
  assert.deepEqual(results, [{ file: null, top: TOP }]);
  const [req] = server.seen;
  assert.equal(req!.method, 'POST');
  assert.equal(req!.url, '/v1/services/my%20model/classify?top=3');
  assert.equal(req!.headers['content-type'], 'image/jpeg');
  assert.equal(req!.headers.authorization, `Bearer ${KEY}`);
  assert.ok(
    Number(req!.headers['x-request-timeout-ms']) > 4000 && Number(req!.headers['x-request-timeout-ms']) <= 5000,
  );
  assert.match(String(req!.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  assert.deepEqual(req!.body, JPEG);
});

test('classify: several images go as multipart, one part per image, and a base path is kept', async (t) => {
  const server = await fakeServer(t, (_s, res) =>
    json(res, 200, {
      results: [
        { file: 'a', top: TOP },
        { file: 'b', top: TOP },
      ],
    }),
  );
  const results = await client(t, { url: `${server.url}/prefix` }).classify('m', [JPEG, PNG], { names: ['a', 'b'] });
  assert.equal(results.length, 2);
  const req = server.seen[0]!;
  assert.equal(req.url, '/prefix/v1/services/m/classify?top=5');
  const boundary = /boundary=(\S+)/.exec(String(req.headers['content-type']))![1]!;
  const text = req.body.toString('latin1');
  assert.equal(text.split(`--${boundary}\r\n`).length - 1, 2);
  assert.match(text, /name="a"; filename="a"\r\nContent-Type: image\/jpeg/);
  assert.match(text, /name="b"; filename="b"\r\nContent-Type: image\/png/);
  assert.ok(text.endsWith(`--${boundary}--\r\n`));
});

test('infer: KServe v2 binary request in, FP32 rows out (binary or JSON answers)', async (t) => {
  const scores = new Float32Array([0.1, 0.7, 0.2, 0.5, 0.25, 0.25]);
  const server = await fakeServer(t, (seen, res, attempt) => {
    const length = Number(seen.headers['inference-header-content-length']);
    const header = JSON.parse(seen.body.subarray(0, length).toString()) as {
      inputs: { shape: number[]; parameters: { binary_data_size: number } }[];
    };
    const data = seen.body.subarray(length);
    assert.equal(header.inputs[0]!.parameters.binary_data_size, data.length);
    assert.equal(data.readUInt32LE(0), JPEG.length);
    assert.deepEqual(data.subarray(4, 4 + JPEG.length), JPEG);
    const output = { name: 'scores', datatype: 'FP32', shape: [2, 3] };
    if (attempt === 1) {
      const out = Buffer.from(
        JSON.stringify({ model_name: 'm', outputs: [{ ...output, parameters: { binary_data_size: 24 } }] }),
      );
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(out.length),
      });
      res.end(Buffer.concat([out, Buffer.from(scores.buffer)]));
    } else {
      json(res, 200, { model_name: 'm', outputs: [{ ...output, data: [...scores] }] });
    }
  });
  const c = client(t, { url: server.url });
  for (let i = 0; i < 2; i++) {
    const rows = await c.infer('m', [JPEG, JPEG]);
    assert.equal(rows.length, 2);
    assert.deepEqual([...rows[0]!], [...scores.subarray(0, 3)]);
    assert.deepEqual([...rows[1]!], [...scores.subarray(3)]);
  }
  assert.equal(server.seen[0]!.url, '/v2/models/m/infer');
});

test('server errors come back as TachyonErrors with their code, details and request id', async (t) => {
  const server = await fakeServer(t, (s, res) => {
    if (s.url.startsWith('/v2/models/m'))
      json(res, 401, {
        error: 'The key is not valid for this service.',
        code: 'TCH_ERR_AUTH_INVALID',
        requestId: 'rid-1',
      });
    else res.writeHead(500).end('<html>oops</html>');
  });
  const c = client(t, { url: server.url });
  await assert.rejects(c.metadata('m'), (e: unknown) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_AUTH_INVALID'));
    assert.equal(e.kind, 'UNAUTHENTICATED');
    assert.equal(e.details?.['requestId'], 'rid-1');
    return true;
  });
  await assert.rejects(
    c.classify('x', JPEG),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CLIENT_BAD_RESPONSE') && e.details?.['status'] === 500,
  );
  assert.equal(server.seen.length, 2, 'no retry on 401 or 500');
});

test('UNAVAILABLE (503) is retried with the same request id, within the retry budget', async (t) => {
  const server = await fakeServer(t, (_s, res, attempt) => {
    if (attempt <= 2) json(res, 503, { error: 'The server is shutting down.', code: 'TCH_ERR_SERVER_DRAINING' });
    else json(res, 200, { results: [{ file: null, top: TOP }] });
  });
  const results = await client(t, { url: server.url, retries: 2 }).classify('m', JPEG);
  assert.equal(results[0]!.top[0]!.label, 'goldfish');
  assert.equal(server.seen.length, 3);
  assert.equal(new Set(server.seen.map((s) => s.headers['x-request-id'])).size, 1);

  const always = await fakeServer(t, (_s, res) =>
    json(res, 503, { error: 'Draining.', code: 'TCH_ERR_SERVER_DRAINING' }),
  );
  await assert.rejects(client(t, { url: always.url, retries: 1 }).classify('m', JPEG), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_SERVER_DRAINING'),
  );
  assert.equal(always.seen.length, 2);
});

test('a dropped connection is retried; a closed port ends in TCH_ERR_CLIENT_UNREACHABLE', async (t) => {
  const server = await fakeServer(t, (s, res, attempt) => {
    if (attempt === 1) res.socket?.destroy();
    else
      json(res, 200, {
        model_name: 'm',
        outputs: [{ name: 'scores', datatype: 'FP32', shape: [1, 2], data: [0.4, 0.6] }],
      });
  });
  const [row] = await client(t, { url: server.url }).infer('m', JPEG);
  assert.deepEqual(
    [...row!].map((v) => Math.round(v * 10)),
    [4, 6],
  );
  assert.equal(server.seen.length, 2);

  // Nothing listens on 127.0.0.1:1 (a privileged port): connections are refused at once.
  const free = createClient({ url: 'http://127.0.0.1:1', retries: 2, backoffMs: 1 });
  t.after(() => free.close());
  await assert.rejects(
    free.ready(),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CLIENT_UNREACHABLE') && e.details?.['reason'] === 'ECONNREFUSED',
  );
});

test('the deadline covers the whole call: a slow server gives TCH_ERR_CLIENT_DEADLINE on time', async (t) => {
  const server = await fakeServer(t, (_s, res) => setTimeout(() => json(res, 200, {}), 1000).unref());
  const started = performance.now();
  await assert.rejects(client(t, { url: server.url }).metadata('m', { timeoutMs: 100 }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_CLIENT_DEADLINE'),
  );
  assert.ok(performance.now() - started < 800);
});

test('ready() and live(): 200 is true, 503 and 404 are false, without retries', async (t) => {
  const server = await fakeServer(t, (s, res) => {
    if (s.url === '/v2/health/ready') json(res, 503, { error: 'Not ready.', code: 'TCH_ERR_MODEL_NOT_READY' });
    else if (s.url === '/v2/models/gone/ready') json(res, 404, { error: 'No model.', code: 'TCH_ERR_MODEL_NOT_FOUND' });
    else json(res, 200, { live: true, ready: true });
  });
  const c = client(t, { url: server.url });
  assert.equal(await c.ready(), false);
  assert.equal(await c.ready('gone'), false);
  assert.equal(await c.ready('m'), true);
  assert.equal(await c.live(), true);
  assert.equal(server.seen.length, 4);
});

test('option misuse is a TypeError or RangeError naming the option', () => {
  assert.throws(() => createClient({ url: 'ftp://x' }), /options\.url/);
  assert.throws(() => createClient({ url: 'not a url' }), TypeError);
  assert.throws(() => createClient({ url: 'http://x', key: 'has space' }), /options\.key/);
  assert.throws(() => createClient({ url: 'http://x', retries: -1 }), RangeError);
  assert.throws(() => createClient({ url: 'http://x', timeoutMs: 0 }), /timeoutMs/);
});

test('call misuse rejects with a TypeError or RangeError before anything is sent', async (t) => {
  const c = client(t, { url: 'http://127.0.0.1:1' });
  await assert.rejects(c.classify('', JPEG), TypeError);
  await assert.rejects(c.classify('m', [] as Uint8Array[]), /images/);
  await assert.rejects(c.classify('m', JPEG, { top: 0 }), /options\.top/);
  await assert.rejects(c.infer('m', JPEG, { timeoutMs: 1.5 }), /timeoutMs/);
});
