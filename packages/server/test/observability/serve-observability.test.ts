import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GOLDFISH, MODEL_NAME, startTestServer } from '../serve/support/serve-fixture.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';
import { sampleImagePath } from '@tachyon-serve/test-support';

test('startServer: logLevel debug writes one line per request, and /metrics counts it', async (t) => {
  const { server, logs } = await startTestServer(t, { noAuth: true, logLevel: 'debug' });
  assert.equal(server.config.logLevel, 'debug');
  const res = await fetch(`${server.httpUrl}/v1/services/${MODEL_NAME}/classify`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg', 'x-request-id': 'serve-obs-1' },
    body: readFileSync(sampleImagePath(GOLDFISH.file)),
  });
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('traceparent')), /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  const lines = logs
    .join('')
    .split('\n')
    .filter((l) => l.includes('"serve-obs-1"'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.deepEqual(
    [lines[0]!['level'], lines[0]!['msg'], lines[0]!['code'], lines[0]!['model']],
    [20, 'request', 'OK', MODEL_NAME],
  );

  const metrics = await fetch(`${server.httpUrl}/metrics`);
  assert.equal(metrics.status, 200, 'open with auth off');
  const samples = parsePrometheus(await metrics.text());
  assert.equal(sampleValue(samples, 'tachyon_requests_total', { model: MODEL_NAME, protocol: 'raw', code: 'OK' }), 1);
  assert.equal(server.observability.metrics.config.enabled, true);
});
