// The gRPC side of the client against a grpc-js server on 127.0.0.1 that plays the server's side of KServe v2
// (loaded from the .proto shipped in @tachyon-serve/protocol). The real server is exercised in test/e2e.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { isTachyonError } from '@tachyon-serve/protocol';
import { createClient, type ClientOptions } from '../src/index.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 9]);
const KEY = 'test-key-0123456789abcdef';

type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
type Reply = (call: Call, attempt: number) => { error?: Partial<grpc.ServiceError>; value?: unknown };

function serviceDefinition(): grpc.ServiceDefinition {
  const file = createRequire(import.meta.url).resolve('@tachyon-serve/protocol/proto/kserve/grpc_service.proto');
  const definition = protoLoader.loadSync('kserve/grpc_service.proto', {
    keepCase: true,
    longs: Number,
    enums: String,
    bytes: Buffer,
    defaults: true,
    oneofs: true,
    includeDirs: [dirname(dirname(file))],
  });
  return definition['inference.GRPCInferenceService'] as grpc.ServiceDefinition;
}

/** A KServe gRPC server whose every method answers with `reply`; the calls are recorded. Shut down after the test. */
async function fakeServer(
  t: TestContext,
  reply: Reply,
): Promise<{ address: string; calls: { method: string; call: Call }[] }> {
  const calls: { method: string; call: Call }[] = [];
  const server = new grpc.Server();
  const definition = serviceDefinition();
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    implementation[method] = (call: Call, callback: grpc.sendUnaryData<unknown>) => {
      calls.push({ method, call });
      const { error, value } = reply(call, calls.length);
      if (error) callback(error as grpc.ServiceError);
      else callback(null, value);
    };
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  t.after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return { address: `127.0.0.1:${port}`, calls };
}

function client(t: TestContext, options: Partial<ClientOptions> & { grpcAddress: string }) {
  const c = createClient({ protocol: 'grpc', key: KEY, backoffMs: 1, timeoutMs: 10_000, ...options });
  t.after(() => c.close());
  return c;
}

/** Raw BYTES layout: uint32 LE length + bytes per element. */
function rawBytes(items: readonly (string | Buffer)[]): Buffer {
  return Buffer.concat(
    items.flatMap((item) => {
      const bytes = Buffer.from(item);
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return [length, bytes];
    }),
  );
}

function tachyonError(
  code: string,
  message: string,
  status: grpc.status,
  details?: object,
): Partial<grpc.ServiceError> {
  const metadata = new grpc.Metadata();
  metadata.set('tachyon-code', code);
  metadata.set('x-request-id', 'server-id-1');
  if (details) metadata.set('tachyon-details-bin', Buffer.from(JSON.stringify(details)));
  return { code: status, details: message, metadata };
}

test('infer: images go as one raw BYTES tensor with key and request id; FP32 rows come back', async (t) => {
  const scores = new Float32Array([0.1, 0.9, 0.7, 0.3]);
  const server = await fakeServer(t, () => ({
    value: {
      model_name: 'm',
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [2, 2] }],
      raw_output_contents: [Buffer.from(scores.buffer)],
    },
  }));
  const rows = await client(t, { grpcAddress: server.address }).infer('m', [JPEG, PNG]);
  assert.deepEqual(
    rows.map((r) => Array.from(r)),
    [
      [scores[0], scores[1]],
      [scores[2], scores[3]],
    ],
  );
  const { method, call } = server.calls[0]!;
  assert.equal(method, 'ModelInfer');
  const request = call.request as {
    model_name: string;
    inputs: { name: string; datatype: string; shape: number[] }[];
    raw_input_contents: Buffer[];
    outputs: { name: string }[];
  };
  assert.equal(request.model_name, 'm');
  assert.deepEqual(
    request.inputs.map((i) => [i.name, i.datatype, i.shape]),
    [['images', 'BYTES', [2]]],
  );
  assert.deepEqual(request.raw_input_contents[0], rawBytes([JPEG, PNG]));
  assert.deepEqual(
    request.outputs.map((o) => o.name),
    ['scores'],
  );
  assert.equal(call.metadata.get('authorization')[0], `Bearer ${KEY}`);
  assert.match(String(call.metadata.get('x-request-id')[0]), /^[0-9a-f-]{36}$/);
  assert.ok(
    Number.isFinite(
      call.getDeadline() instanceof Date ? (call.getDeadline() as Date).getTime() : Number(call.getDeadline()),
    ),
    'a deadline is sent',
  );
});

test('classify: asks for the classification extension and parses "score:index:label" (labels may hold colons)', async (t) => {
  const server = await fakeServer(t, () => ({
    value: {
      model_name: 'm',
      outputs: [{ name: 'scores', datatype: 'BYTES', shape: [2, 2] }],
      raw_output_contents: [rawBytes(['0.9:1:goldfish', '0.1:0:tench', '0.8:7:a:b', '0.2:3:c'])],
    },
  }));
  const c = client(t, { grpcAddress: server.address });
  const results = await c.classify('m', [JPEG, PNG], { top: 2 });
  assert.deepEqual(results, [
    {
      file: 'image0',
      top: [
        { index: 1, label: 'goldfish', score: 0.9 },
        { index: 0, label: 'tench', score: 0.1 },
      ],
    },
    {
      file: 'image1',
      top: [
        { index: 7, label: 'a:b', score: 0.8 },
        { index: 3, label: 'c', score: 0.2 },
      ],
    },
  ]);
  const request = server.calls[0]!.call.request as {
    outputs: { parameters: Record<string, { int64_param: number; parameter_choice: string }> }[];
  };
  assert.equal(request.outputs[0]!.parameters['classification']!.parameter_choice, 'int64_param');
  assert.equal(request.outputs[0]!.parameters['classification']!.int64_param, 2);
  const named = await c.classify('m', [JPEG, PNG], { top: 2, names: ['x.jpg', 'y.png'] });
  assert.deepEqual(
    named.map((r) => r.file),
    ['x.jpg', 'y.png'],
  );
});

test('server errors come back as TachyonErrors with their code, details and the server request id', async (t) => {
  const server = await fakeServer(t, () => ({
    error: tachyonError('TCH_ERR_AUTH_INVALID', 'The key does not match.', grpc.status.UNAUTHENTICATED, {
      service: 'm',
    }),
  }));
  await assert.rejects(client(t, { grpcAddress: server.address }).infer('m', JPEG), (e: unknown) => {
    assert.ok(isTachyonError(e, 'TCH_ERR_AUTH_INVALID'), String(e));
    assert.equal(e.message, 'The key does not match.');
    assert.deepEqual(e.details, { service: 'm', requestId: 'server-id-1' });
    return true;
  });
  assert.equal(server.calls.length, 1, 'not retried');
});

test('UNAVAILABLE is retried within the retry budget; a closed port ends in TCH_ERR_CLIENT_UNREACHABLE', async (t) => {
  const draining = await fakeServer(t, () => ({
    error: tachyonError('TCH_ERR_SERVER_DRAINING', 'draining', grpc.status.UNAVAILABLE),
  }));
  assert.equal(
    await client(t, { grpcAddress: draining.address, retries: 2 }).ready('m'),
    false,
    'a draining server is not ready',
  );
  assert.equal(draining.calls.length, 1, 'readiness is never retried');
  const scores = new Float32Array([1]);
  const ok = await fakeServer(t, (_c, attempt) =>
    attempt < 3
      ? { error: tachyonError('TCH_ERR_SERVER_DRAINING', 'draining', grpc.status.UNAVAILABLE) }
      : {
          value: {
            outputs: [{ name: 'scores', datatype: 'FP32', shape: [1, 1] }],
            raw_output_contents: [Buffer.from(scores.buffer)],
          },
        },
  );
  const rows = await client(t, { grpcAddress: ok.address, retries: 2 }).infer('m', JPEG);
  assert.deepEqual(Array.from(rows[0]!), [1]);
  assert.equal(ok.calls.length, 3);
  const ids = new Set(ok.calls.map((c) => c.call.metadata.get('x-request-id')[0]));
  assert.equal(ids.size, 1, 'the same request id on every attempt');

  const again = await fakeServer(t, () => ({
    error: tachyonError('TCH_ERR_SERVER_DRAINING', 'draining', grpc.status.UNAVAILABLE),
  }));
  await assert.rejects(client(t, { grpcAddress: again.address, retries: 1 }).infer('m', JPEG), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_SERVER_DRAINING'),
  );
  assert.equal(again.calls.length, 2);

  await assert.rejects(client(t, { grpcAddress: '127.0.0.1:1', retries: 1 }).infer('m', JPEG), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_CLIENT_UNREACHABLE'),
  );
});

test('the deadline covers the call: a server that never answers gives TCH_ERR_CLIENT_DEADLINE', async (t) => {
  const server = new grpc.Server();
  const definition = serviceDefinition();
  server.addService(definition, { ModelInfer: () => undefined } as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  t.after(() => server.forceShutdown());
  await assert.rejects(
    client(t, { grpcAddress: `127.0.0.1:${port}` }).infer('m', JPEG, { timeoutMs: 200 }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CLIENT_DEADLINE'),
  );
});

test('ready, live and metadata map to ServerReady/ModelReady, ServerLive and ModelMetadata', async (t) => {
  const server = await fakeServer(t, (call) => {
    const request = call.request as { name?: string };
    if (request.name === 'missing') return { value: { ready: false } };
    if (request.name === 'meta')
      return {
        value: {
          name: 'meta',
          versions: ['1'],
          platform: 'onnxruntime',
          inputs: [{ name: 'images', datatype: 'BYTES', shape: [-1] }],
          outputs: [],
        },
      };
    return { value: { live: true, ready: true } };
  });
  const c = client(t, { grpcAddress: server.address });
  assert.equal(await c.live(), true);
  assert.equal(await c.ready(), true);
  assert.equal(await c.ready('m'), true);
  assert.equal(await c.ready('missing'), false);
  const meta = await c.metadata('meta');
  assert.equal(meta.platform, 'onnxruntime');
  assert.deepEqual(meta.inputs, [{ name: 'images', datatype: 'BYTES', shape: [-1] }]);
  assert.deepEqual(
    server.calls.map((c) => c.method),
    ['ServerLive', 'ServerReady', 'ModelReady', 'ModelReady', 'ModelMetadata'],
  );
});

test('gRPC option misuse is a TypeError naming the option', () => {
  assert.throws(() => createClient({ protocol: 'grpc' }), /options\.grpcAddress/);
  assert.throws(() => createClient({ protocol: 'grpc', grpcAddress: 'http://x:1' }), /options\.grpcAddress/);
  assert.throws(() => createClient({ protocol: 'quic' as 'grpc', grpcAddress: 'x:1' }), /options\.protocol/);
  assert.throws(() => createClient({}), /options\.url/);
  const c = createClient({ protocol: 'grpc', grpcAddress: '127.0.0.1:1', ca: 'pem' });
  assert.equal(c.config.tls, true, 'a CA turns TLS on');
  void c.close();
});
