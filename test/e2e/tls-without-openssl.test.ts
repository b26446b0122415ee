// Self-signed TLS needs no system binary (issue 16): a deploy over HTTPS and classify work with no `openssl` on PATH.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { tempDir } from '@tachyon-serve/test-support';
import { CLI_BIN, SHARED_MODELS } from './support/e2e-support.js';

const run = promisify(execFile);

test('quickstart deploys over HTTPS and classifies with openssl absent from PATH', {
  timeout: 5 * 60_000,
}, async (t) => {
  const cwd = tempDir(t);
  const bin = join(cwd, 'bin-without-openssl');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const env = { ...process.env, PATH: bin };
  await assert.rejects(run('openssl', ['version'], { env }), 'openssl is not reachable');
  const r = await run(
    process.execPath,
    [CLI_BIN, '--model-path', SHARED_MODELS, 'quickstart', '--model', 'mobilenetv2-int8', '--calls', '5', '--json'],
    { cwd, env, maxBuffer: 16 << 20 },
  );
  const summary = JSON.parse(r.stdout) as {
    tls: boolean;
    scoringUri: string;
    latency: { protocol: string };
    results: { top: { label: string }[] }[];
  };
  assert.equal(summary.tls, true);
  assert.match(summary.scoringUri, /^https:\/\/127\.0\.0\.1:/);
  assert.equal(summary.latency.protocol, 'https');
  assert.deepEqual(
    summary.results.map((x) => x.top[0]!.label),
    ['tench', 'goldfish', 'orange'],
  );
});
