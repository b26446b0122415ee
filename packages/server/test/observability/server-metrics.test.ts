import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DROPPED_DEFAULT_METRICS } from '../../src/observability/server-metrics.js';
import { GOLDFISH, MODEL_NAME, startTestServer } from '../serve/support/serve-fixture.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';
import { sampleImagePath } from '@tachyon-serve/test-support';

/** promtool from the Debian package `prometheus` (scripts/ci-deps.sh installs it), or $TACHYON_PROMTOOL. */
const PROMTOOL = process.env['TACHYON_PROMTOOL'] ?? 'promtool';

test("promtool check metrics: a live server's /metrics, with every tachyon series populated, has no problem", async (t) => {
  const { server } = await startTestServer(t, { noAuth: true });
  const res = await fetch(`${server.httpUrl}/v1/services/${MODEL_NAME}/classify`, {
    method: 'POST',
    headers: { 'content-type': 'image/jpeg' },
    body: readFileSync(sampleImagePath(GOLDFISH.file)),
  });
  assert.equal(res.status, 200);
  assert.equal(
    (
      await fetch(`${server.httpUrl}/v1/services/nope/classify`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg' },
        body: 'x',
      })
    ).status,
    404,
  );
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();

  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(
    lint.error,
    undefined,
    `${PROMTOOL} could not run (install the Debian package "prometheus": scripts/ci-deps.sh): ${String(lint.error)}`,
  );
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool reports nothing');
  assert.equal(lint.status, 0);

  const samples = parsePrometheus(text);
  const names = new Set(samples.map((s) => s.name));
  for (const dropped of DROPPED_DEFAULT_METRICS) assert.ok(!names.has(dropped), `${dropped} is left out`);
  assert.ok(names.has('nodejs_active_handles'), 'the per-type gauge stays (its sum is the dropped total)');
  assert.equal(
    sampleValue(samples, 'tachyon_request_duration_seconds_count', { model: MODEL_NAME, protocol: 'raw' }),
    1,
  );
  assert.equal(
    sampleValue(samples, 'tachyon_request_stage_duration_seconds_count', {
      model: MODEL_NAME,
      protocol: 'raw',
      stage: 'compute',
    }),
    1,
  );
  assert.ok(
    !samples.some((s) => s.labels['stage'] === 'total'),
    'no stage="total": summing over stage counts each request once',
  );
});
