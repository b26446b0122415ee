// `tachyon quickstart --json`: the whole flow in one command (service definition, register, deploy over TLS with
// keys, classify, latency, clean up), checked from its JSON and from what is left on the machine afterwards.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { KNOWN, SHARED_MODELS, noProcessesUsing, runCli, sample } from './support/e2e-support.js';
import { tempDir } from '@tachyon-serve/test-support';

interface Summary {
  model: string;
  registeredModel: string;
  version: number;
  service: string;
  workspace: { root: string; temporary: boolean };
  scoringUri: string;
  tls: boolean;
  results: { file: string; top: { index: number; label: string; score: number }[] }[];
  latency: { calls: number; protocol: string; p50Ms: number; p99Ms: number };
  cleanedUp: string[];
}

test('tachyon quickstart --json: real labels over HTTPS with keys, latency, and nothing left behind', async (t) => {
  const cwd = tempDir(t, 'tachyon-e2e-');
  const images = KNOWN.flatMap((k) => ['--image', sample(k.file)]);
  const r = await runCli(
    ['--model-path', SHARED_MODELS, 'quickstart', '--model', 'mobilenetv2-int8', '--calls', '20', '--json', ...images],
    cwd,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1, 'stdout holds exactly one JSON document');
  const summary = JSON.parse(r.stdout) as Summary;
  assert.equal(summary.model, 'mobilenetv2-int8');
  assert.equal(summary.version, 1);
  assert.match(summary.service, /^quickstart-[0-9a-f]{6}$/);
  assert.equal(summary.tls, true);
  assert.match(summary.scoringUri, /^https:\/\/127\.0\.0\.1:\d+\/v1\/services\/quickstart-[0-9a-f]{6}\/classify$/);
  assert.deepEqual(
    summary.results.map((x) => x.file),
    KNOWN.map((k) => sample(k.file)),
  );
  assert.deepEqual(
    summary.results.map((x) => x.top[0]!.label),
    KNOWN.map((k) => k.label),
  );
  assert.deepEqual(
    summary.results.map((x) => x.top[0]!.index),
    KNOWN.map((k) => k.index),
  );
  for (const result of summary.results) {
    assert.equal(result.top.length, 5);
    assert.ok(
      result.top.every((c, i) => c.score > 0 && c.score <= 1 && (i === 0 || c.score <= result.top[i - 1]!.score)),
    );
  }
  assert.equal(summary.latency.calls, 20);
  assert.equal(summary.latency.protocol, 'https');
  assert.ok(summary.latency.p50Ms > 0 && summary.latency.p99Ms >= summary.latency.p50Ms);
  assert.deepEqual(summary.cleanedUp, [
    `service ${summary.service}`,
    `model ${summary.registeredModel}:1`,
    'daemon',
    'temporary workspace',
  ]);
  assert.match(r.stderr, /is Healthy at https:/, 'progress goes to stderr');

  // Nothing left: the temporary workspace (registry, service folder, keys, certificate) is gone, and no daemon or
  // service process runs for it.
  assert.equal(summary.workspace.temporary, true);
  assert.equal(existsSync(summary.workspace.root), false, 'the temporary workspace is removed');
  assert.deepEqual(await noProcessesUsing(summary.workspace.root), [], 'no daemon or service process is left');
});

test('tachyon quickstart without the model offline says so clearly and makes nothing', async (t) => {
  const cwd = tempDir(t, 'tachyon-e2e-');
  const r = await runCli(['--offline', 'quickstart', '--model', 'resnet50-int8', '--json'], cwd);
  assert.equal(r.code, 1);
  // --json: the error is one JSON object on stdout (issue 16).
  const error = JSON.parse(r.stdout) as { error: string; code: string };
  assert.equal(error.code, 'TCH_ERR_ZOO_FETCH_FAILED');
  assert.match(
    error.error,
    /Model "resnet50-int8" is not in the cache or a mirror folder and could not be downloaded \(offline\?\); pass a model you have, e\.g\. `--model mobilenetv2-int8/,
  );
});
