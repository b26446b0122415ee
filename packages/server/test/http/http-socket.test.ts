import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { encodeRawBytes as encodeBytesElements } from '../../src/codec/raw-tensor.js';
import { MODEL, PRIMARY, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage, TRUCK } from '@tachyon-serve/test-support';

// Real sockets on 127.0.0.1, ephemeral ports: what inject() cannot show (header limits, keep-alive, drain).
const host = sharedHost();
const orange = sampleImage(ORANGE.file);

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** Sends raw bytes and returns everything the server writes until it closes the connection. */
function rawExchange(origin: string, request: string): Promise<string> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
    socket.write(request);
  });
}

test('over TCP: raw image and KServe binary on one keep-alive connection, same top-1', async (t) => {
  const app = await httpApp(t, host());
  const origin = await listen(app);
  assert.equal(app.server.maxConnections, 1024);
  const raw = await fetch(`${origin}/v1/services/${MODEL}/classify`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'image/jpeg' },
    body: orange,
  });
  assert.equal(raw.status, 200);
  assert.match(
    String(raw.headers.get('server-timing')),
    /^queue;dur=[\d.]+, preprocess;dur=[\d.]+, compute;dur=[\d.]+, postprocess;dur=[\d.]+, total;dur=[\d.]+, batch;desc="\d+"$/,
  );
  const rawTop = ((await raw.json()) as { results: { top: { index: number }[] }[] }).results[0]!.top;
  assert.equal(rawTop[0]!.index, ORANGE.index);

  const images = encodeBytesElements([orange, sampleImage(TRUCK.file)]);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: images.length } }],
      outputs: [{ name: 'scores', parameters: { classification: 1, binary_data: false } }],
    }),
  );
  const res = await fetch(`${origin}/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { ...bearer(), 'inference-header-content-length': String(header.length), 'x-request-id': 'tcp-1' },
    body: Buffer.concat([header, images]),
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'tcp-1');
  const body = (await res.json()) as { id: string; outputs: { data: string[] }[] };
  assert.equal(body.id, 'tcp-1');
  assert.deepEqual(
    body.outputs[0]!.data.map((s) => Number(s.split(':')[1])),
    [ORANGE.index, TRUCK.index],
  );
});

test('over TCP: headers beyond maxHeaderSize get the JSON error body, and the server keeps serving', async (t) => {
  const app = await httpApp(t, host(), { maxHeaderSize: 4096 });
  const origin = await listen(app);
  const reply = await rawExchange(
    origin,
    `GET /v2/health/live HTTP/1.1\r\nHost: x\r\nx-padding: ${'a'.repeat(8192)}\r\n\r\n`,
  );
  const [head, body] = reply.split('\r\n\r\n');
  assert.match(head!, /^HTTP\/1.1 400 /);
  assert.match(head!, /x-request-id: [0-9a-f-]{36}/);
  const error = JSON.parse(body!) as { code: string; requestId: string; details: unknown };
  assert.equal(error.code, 'TCH_ERR_LIMIT_BODY_TOO_LARGE');
  assert.deepEqual(error.details, { maxHeaderSize: 4096 });
  assert.equal((await fetch(`${origin}/v2/health/live`)).status, 200);
});

test('over TCP: close() drains: a request in flight completes, then the port is closed', async (t) => {
  const app = await httpApp(t, host());
  const origin = await listen(app);
  const { port } = new URL(origin);
  const socket = connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  const reply = new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, body = ''] = text.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head ?? '');
      if (length && Buffer.byteLength(body) >= Number(length[1])) resolve(text);
    });
    socket.on('error', reject);
  });
  // Headers and half the image now; the rest only after close() has begun, so the request is surely in flight.
  const half = Math.floor(orange.length / 2);
  socket.write(
    `POST /v1/services/${MODEL}/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${PRIMARY}\r\nContent-Type: image/jpeg\r\n` +
      `Content-Length: ${orange.length}\r\n\r\n`,
  );
  socket.write(orange.subarray(0, half));
  await new Promise((r) => setTimeout(r, 50));
  const closing = app.close();
  await new Promise((r) => setTimeout(r, 50));
  socket.write(orange.subarray(half));
  const text = await reply;
  assert.match(text, /^HTTP\/1.1 200 /);
  assert.equal(
    (JSON.parse(text.split('\r\n\r\n')[1]!) as { results: { top: { index: number }[] }[] }).results[0]!.top[0]!.index,
    ORANGE.index,
  );
  await closing;
  assert.equal(app.tachyon.draining, true);
  await assert.rejects(fetch(`${origin}/v2/health/live`));
});
