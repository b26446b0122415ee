import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { Observability } from '../../src/observability/observability.js';
import { MODEL, bearer, httpApp, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';

const host = sharedHost();
const orange = sampleImage(ORANGE.file);

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}
interface OtlpRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A stand-in OTLP/HTTP collector on 127.0.0.1: keeps every decoded export request. */
async function startCollector(t: {
  after: (fn: () => unknown) => void;
}): Promise<{ url: string; requests: OtlpRequest[]; contentTypes: string[] }> {
  const requests: OtlpRequest[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces' && req.method === 'POST')
        requests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, requests, contentTypes };
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

test('OTLP export: one server span per request, parented to the caller, with the four stage spans', async (t) => {
  const collector = await startCollector(t);
  const observability = new Observability({
    tracing: { otlpEndpoint: collector.url, serviceName: 'tachyon-test' },
    knownModel: (n) => n === MODEL,
  });
  t.after(() => observability.close());
  const app = await httpApp(t, host(), {}, { observability });

  const callerTrace = '0af7651916cd43dd8448eb211c80319c';
  const callerSpan = 'b7ad6b7169203331';
  const infer = await app.inject({
    method: 'POST',
    url: `/v2/models/${MODEL}/infer`,
    headers: {
      ...bearer(),
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
      tracestate: 'congo=t61rcWkgMzE',
      'x-request-id': 'otlp-1',
    },
    payload: {
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }],
    },
  });
  assert.equal(infer.statusCode, 200, infer.body);
  const serverSpanId = String(infer.headers['traceparent']).split('-')[2];
  const root = await app.inject({
    method: 'POST',
    url: `/v1/services/${MODEL}/classify`,
    headers: { ...bearer(), 'content-type': 'image/jpeg' },
    payload: orange,
  });
  assert.equal(root.statusCode, 200);
  const [, rootTrace, rootSpan, rootFlags] = String(root.headers['traceparent']).split('-');
  assert.equal(rootFlags, '01', 'sampleRatio 1: fresh traces are sampled when exporting');
  const unsampled = '11111111111111111111111111111111';
  await app.inject({ method: 'GET', url: '/v2', headers: { traceparent: `00-${unsampled}-${callerSpan}-00` } });
  await observability.flush();

  assert.ok(collector.requests.length >= 1, 'the collector got the spans');
  assert.ok(collector.contentTypes.every((c) => c.startsWith('application/json')));
  const resource = collector.requests[0]!.resourceSpans[0]!.resource;
  assert.equal(resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue, 'tachyon-test');
  const spans = collector.requests.flatMap((r) =>
    r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
  );
  assert.ok(!spans.some((s) => s.traceId === unsampled), 'a caller that did not sample is not recorded');

  const server = spans.find((s) => s.spanId === serverSpanId);
  assert.ok(server, `the server span named in the response traceparent (${serverSpanId}) was exported`);
  assert.equal(server.traceId, callerTrace);
  assert.equal(server.parentSpanId, callerSpan);
  assert.equal(server.name, 'POST /v2/models/:name/infer');
  assert.equal(server.kind, 2, 'SPAN_KIND_SERVER');
  assert.equal(attribute(server, 'tachyon.model'), MODEL);
  assert.equal(attribute(server, 'tachyon.protocol'), 'kserve-http');
  assert.equal(attribute(server, 'tachyon.request_id'), 'otlp-1');
  assert.equal(attribute(server, 'tachyon.code'), 'OK');
  assert.equal(Number(attribute(server, 'http.response.status_code')), 200);
  const children = spans.filter((s) => s.parentSpanId === serverSpanId);
  assert.deepEqual(children.map((s) => s.name).sort(), ['compute', 'postprocess', 'preprocess', 'queue']);
  for (const child of children) {
    assert.equal(child.traceId, callerTrace);
    assert.ok(
      BigInt(child.startTimeUnixNano) >= BigInt(server.startTimeUnixNano),
      `${child.name} starts within the request`,
    );
    assert.ok(BigInt(child.endTimeUnixNano) >= BigInt(child.startTimeUnixNano));
  }
  const compute = children.find((s) => s.name === 'compute')!;
  assert.ok(BigInt(compute.endTimeUnixNano) > BigInt(compute.startTimeUnixNano), 'compute took time');

  const fresh = spans.find((s) => s.spanId === rootSpan);
  assert.ok(fresh, 'the span of the request without traceparent');
  assert.equal(fresh.traceId, rootTrace);
  assert.ok(fresh.parentSpanId === undefined || fresh.parentSpanId === '', 'a root span');
  assert.equal(fresh.name, 'POST /v1/services/:name/classify');
  assert.equal(attribute(fresh, 'tachyon.protocol'), 'raw');
});

test('OTLP export: close() sends the spans still buffered (the serve helper closes it after the drain)', async (t) => {
  const collector = await startCollector(t);
  const observability = new Observability({ tracing: { otlpEndpoint: collector.url } });
  t.after(() => observability.close());
  const app = await httpApp(t, host(), {}, { observability });
  const res = await app.inject({ method: 'GET', url: '/v2' });
  assert.equal(res.statusCode, 200);
  await app.close();
  await observability.close();
  const spans = collector.requests.flatMap((r) =>
    r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)),
  );
  assert.deepEqual(
    spans.map((s) => s.spanId),
    [String(res.headers['traceparent']).split('-')[2]],
  );
  assert.equal(spans[0]!.name, 'GET /v2');
  assert.equal(Number(attribute(spans[0]!, 'http.response.status_code')), 200);
  assert.equal(attribute(spans[0]!, 'tachyon.protocol'), undefined, 'not an inference request');
});
