import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { Observability } from '../../src/observability/observability.js';
import { compileTracingOptions } from '../../src/observability/observability-options.js';
import { tracingFromOtelEnv } from '../../src/observability/otel-env.js';
import { mergeServeLayers, SERVE_BUILTIN_OPTIONS } from '../../src/serve/serve-config-merge.js';
import { startTestServer, unary } from '../grpc/grpc-fixtures.js';
import { MODEL, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';

const host = sharedHost();

// The official OTLP protos (open-telemetry/opentelemetry-proto), as compiled by OpenTelemetry JS into
// @opentelemetry/otlp-transformer (its generated protobufjs root): the export requests are checked against them.
interface ProtoType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
  decode(b: Uint8Array): unknown;
  toObject(m: unknown, o: object): Record<string, unknown>;
}
const transformerDir = dirname(createRequire(import.meta.url).resolve('@opentelemetry/otlp-transformer'));
const otlpRoot = createRequire(import.meta.url)(join(transformerDir, 'generated', 'root.js')) as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ProtoType } } } } };
};
const ExportTraceServiceRequest = otlpRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

interface DecodedSpan {
  name: string;
  kind: number;
  traceId: string;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP/JSON export body -> the official ExportTraceServiceRequest (ids are hex in OTLP/JSON, bytes in the proto). */
function decodeOtlpJson(body: unknown): { resource: Record<string, unknown>; spans: DecodedSpan[] } {
  const hexToBase64 = (value: unknown) =>
    typeof value === 'string' ? Buffer.from(value, 'hex').toString('base64') : value;
  const converted = JSON.parse(JSON.stringify(body), (key, value: unknown) =>
    key === 'traceId' || key === 'spanId' || key === 'parentSpanId' ? hexToBase64(value) : value,
  ) as object;
  const message = ExportTraceServiceRequest.decode(
    ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(converted)).finish(),
  );
  const object = ExportTraceServiceRequest.toObject(message, {
    longs: String,
    enums: Number,
    bytes: String,
    defaults: false,
  }) as {
    resourceSpans: {
      resource: { attributes: { key: string; value: Record<string, unknown> }[] };
      scopeSpans: { spans: DecodedSpan[] }[];
    }[];
  };
  const resource = Object.fromEntries(
    object.resourceSpans[0]!.resource.attributes.map((a) => [a.key, Object.values(a.value)[0]]),
  );
  return { resource, spans: object.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)) };
}

const attributesOf = (span: DecodedSpan) =>
  Object.fromEntries((span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]));

async function startCollector(t: {
  after: (fn: () => unknown) => void;
}): Promise<{ base: string; bodies: unknown[]; headers: IncomingHttpHeaders[] }> {
  const bodies: unknown[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        headers.push(req.headers);
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, headers };
}

test('OTEL_* variables: endpoint, headers, service name, resource attributes and sampler', () => {
  const { options, ignored } = tracingFromOtelEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x-tenant=7',
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource,deployment.environment.name=prod',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
  });
  assert.deepEqual(options, {
    otlpEndpoint: 'http://collector:4318/v1/traces',
    headers: { 'api-key': 'a b', 'x-tenant': '7' },
    resourceAttributes: { 'service.name': 'from-resource', 'deployment.environment.name': 'prod' },
    serviceName: 'from-resource',
    sampler: 'parentbased_traceidratio',
    sampleRatio: 0.25,
  });
  assert.deepEqual(ignored, []);
  assert.equal(
    tracingFromOtelEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://b/traces',
    }).options.otlpEndpoint,
    'https://b/traces',
  );
  assert.equal(
    tracingFromOtelEnv({ OTEL_SERVICE_NAME: 'svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=other' }).options
      .serviceName,
    'svc',
  );
  assert.deepEqual(
    tracingFromOtelEnv({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' }).options,
    {},
  );
  assert.equal(
    tracingFromOtelEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a' }).options.otlpEndpoint,
    undefined,
  );
  const bad = tracingFromOtelEnv({ OTEL_TRACES_SAMPLER: 'sometimes', OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://x' });
  assert.deepEqual(bad.options, {});
  assert.deepEqual(bad.ignored.sort(), ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER']);

  const always = compileTracingOptions({ sampler: 'always_off', sampleRatio: 0.5 });
  assert.deepEqual([always.sampleRatio, always.parentBased], [0, false]);
  assert.deepEqual([compileTracingOptions({}).sampleRatio, compileTracingOptions({}).parentBased], [1, true]);
});

test("tachyon's own settings take precedence over OTEL_* (the serve command's layers)", () => {
  const otel = tracingFromOtelEnv({
    OTEL_SERVICE_NAME: 'from-otel',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'k=v',
  }).options;
  const merged = mergeServeLayers([
    { name: 'flag', options: { tracing: { serviceName: 'from-flag' } } },
    { name: 'env', options: { tracing: { otlpEndpoint: 'http://tachyon-env:4318/v1/traces' } } },
    { name: 'env', options: { tracing: otel } },
    { name: 'default', options: SERVE_BUILTIN_OPTIONS },
  ]);
  assert.equal(merged.options.tracing?.serviceName, 'from-flag');
  assert.equal(merged.options.tracing?.otlpEndpoint, 'http://tachyon-env:4318/v1/traces');
  assert.deepEqual(merged.options.tracing?.headers, { k: 'v' }, 'what tachyon does not set comes from OTEL_*');
  const fromOtel = mergeServeLayers([
    { name: 'env', options: { tracing: otel } },
    { name: 'default', options: SERVE_BUILTIN_OPTIONS },
  ]);
  assert.equal(fromOtel.options.tracing?.serviceName, 'from-otel', 'OTEL_SERVICE_NAME beats the built-in default');
});

test('exported spans, decoded with the OTLP protos, follow the HTTP and RPC semantic conventions (v1.37.0)', async (t) => {
  const collector = await startCollector(t);
  const { options } = tracingFromOtelEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.base,
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret%20value',
    OTEL_SERVICE_NAME: 'from-otel',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  const observability = new Observability({ tracing: options, knownModel: (n) => n === MODEL });
  t.after(() => observability.close());
  const app = await httpApp(t, host(), {}, { observability });
  const grpcServer = await startTestServer(host(), { auth: 'none', observability });
  t.after(() => grpcServer.close());

  const orange = sampleImage(ORANGE.file);
  const infer = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/infer?probe=1`,
    headers: {
      ...bearer(),
      'user-agent': 'otel-test/1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
    },
    payload: {
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }],
    },
  });
  assert.equal(infer.statusCode, 200, infer.body);
  assert.match(String(infer.headers['traceparent']), /-01$/, 'always_on samples even under an unsampled parent');
  assert.equal((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode, 404);
  await unary(grpcServer.kserve, 'ServerLive', {});
  await observability.flush();

  assert.ok(collector.bodies.length >= 1);
  assert.ok(
    collector.headers.every((h) => h['x-api-key'] === 'secret value'),
    'OTEL_EXPORTER_OTLP_HEADERS are sent',
  );
  const decoded = collector.bodies.map(decodeOtlpJson);
  assert.equal(decoded[0]!.resource['service.name'], 'from-otel');
  assert.equal(decoded[0]!.resource['deployment.environment.name'], 'test');
  const spans = decoded.flatMap((d) => d.spans);

  const http = spans.find((s) => s.name === 'POST /v2/models/:name/infer');
  assert.ok(http, spans.map((s) => s.name).join(', '));
  assert.equal(http.kind, 2, 'SERVER');
  const a = attributesOf(http);
  assert.equal(a['http.request.method'], 'POST');
  assert.equal(a['url.scheme'], 'http');
  assert.equal(a['url.path'], `/v2/models/${MODEL}/infer`);
  assert.equal(a['url.query'], 'probe=1');
  assert.equal(a['http.route'], '/v2/models/:name/infer');
  assert.equal(Number(a['http.response.status_code']), 200);
  assert.equal(a['network.protocol.version'], '1.1');
  assert.equal(a['user_agent.original'], 'otel-test/1');
  assert.equal(a['error.type'], undefined);
  assert.equal(a['tachyon.model'], MODEL);

  const unmatched = spans.find((s) => attributesOf(s)['url.path'] === '/no/such/route');
  assert.ok(unmatched);
  assert.equal(unmatched.name, 'GET', 'no route: the method alone, never "unmatched route" or the URL');
  assert.equal(attributesOf(unmatched)['http.route'], undefined);

  const rpc = spans.find((s) => s.name === 'inference.GRPCInferenceService/ServerLive');
  assert.ok(rpc, spans.map((s) => s.name).join(', '));
  const r = attributesOf(rpc);
  assert.equal(r['rpc.system'], 'grpc');
  assert.equal(r['rpc.service'], 'inference.GRPCInferenceService');
  assert.equal(r['rpc.method'], 'ServerLive');
  assert.equal(Number(r['rpc.grpc.status_code']), 0);
  assert.equal(r['network.peer.address'], '127.0.0.1');
  assert.ok(Number(r['network.peer.port']) > 0);
  assert.ok(!Object.keys(r).some((k) => k.startsWith('http.')), 'no HTTP attributes on an RPC span');
});
