// `tachyon serve` as a child process: the ready line, SIGHUP reloads (certificate and keys) without dropping
// connections, SIGTERM/SIGINT drains in-flight requests and exits 0, keys never in the logs, refusals exit 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import { GOLDFISH, spawnServe } from './support/serve-fixture.js';
import { call, grpcServerLive, multipart } from './support/http-call.js';
import { createTestCa, issueServerCert } from './support/test-ca.js';
import { CLI_BIN, sampleImagePath, sharedDir, tempDir } from '@tachyon-serve/test-support';

const key = (name: string) => `${name}-${'k'.repeat(24)}-${Math.random().toString(36).slice(2)}`;
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const goldfish = readFileSync(sampleImagePath(GOLDFISH.file));
const classify = (url: string) => `${url}/v1/services/mnv2/classify?top=1`;
type Results = { results: { top: { label: string }[] }[] };
type ErrorBody = { code: string };

function assertNoSecrets(text: string, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), 'a key appears in the logs');
}

describe('tachyon serve (child process)', () => {
  test('TLS + keys file: SIGHUP swaps certificate and keys for new connections, open ones stay; SIGTERM drains and exits 0', async (t: TestContext) => {
    const dir = tempDir(t, 'tachyon-serve-test-');
    const ca1 = createTestCa(dir, 'ca1');
    const ca2 = createTestCa(dir, 'ca2');
    const cert1 = issueServerCert(ca1, dir, 'server1');
    const cert2 = issueServerCert(ca2, dir, 'server2');
    const certFile = join(dir, 'tls.pem');
    const keyFile = join(dir, 'tls.key');
    copyFileSync(cert1.cert, certFile);
    copyFileSync(cert1.key, keyFile);
    const [a, b, c] = [key('a'), key('b'), key('c')];
    const keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify({ primary: a, secondary: b }), { mode: 0o600 });

    const serve = await spawnServe(
      t,
      [
        '--model',
        'mobilenetv2-int8',
        '--name',
        'mnv2',
        '--http-port',
        '0',
        '--grpc-port',
        '0',
        '--keys',
        keysFile,
        '--tls-cert',
        certFile,
        '--tls-key',
        keyFile,
        '--max-images',
        '256',
        '--drain-timeout',
        '20000',
        // 'incoming request' (below) is a trace-level line: at debug a request logs once, when it is answered.
        '--log-level',
        'trace',
      ],
      dir,
    );
    // The service keys come from the file and are not printed; the file has no admin key, so one is generated and
    // shown this once.
    assert.deepEqual(Object.keys(serve.ready).sort(), ['adminKey', 'grpc', 'http', 'models']);
    assert.ok(![a, b].includes((serve.ready as { adminKey?: string }).adminKey!));
    assert.match(serve.ready.http, /^https:\/\/127\.0\.0\.1:\d+$/);
    const url = serve.ready.http;
    const trust1 = readFileSync(ca1.caCert);
    const trust2 = readFileSync(ca2.caCert);

    // One kept-alive connection trusting only CA 1, opened before the reload.
    const before = new https.Agent({ ca: trust1, keepAlive: true, maxSockets: 1 });
    t.after(() => before.destroy());
    const first = await call(classify(url), {
      agent: before,
      method: 'POST',
      headers: { ...bearer(a), 'content-type': 'image/jpeg' },
      body: goldfish,
    });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal((first.body as Results).results[0]!.top[0]!.label, GOLDFISH.label);
    assert.equal(await grpcServerLive(serve.ready.grpc, trust1), true);

    // Rotate: c becomes primary, a moves to secondary, b is retired; the certificate moves to CA 2.
    writeFileSync(keysFile, JSON.stringify({ primary: c, secondary: a }));
    copyFileSync(cert2.cert, certFile);
    copyFileSync(cert2.key, keyFile);
    serve.child.kill('SIGHUP');
    await serve.waitForLog(/keys reloaded: new keys in force/);
    await serve.waitForLog(/tls certificate reloaded.*ca2/);

    const reused = await call(classify(url), {
      agent: before,
      method: 'POST',
      headers: { ...bearer(a), 'content-type': 'image/jpeg' },
      body: goldfish,
    });
    assert.equal(reused.status, 200, 'the old secondary still works');
    assert.equal(reused.reusedSocket, true, 'the connection opened before the reload was not dropped');
    const retired = await call(classify(url), {
      agent: before,
      method: 'POST',
      headers: { ...bearer(b), 'content-type': 'image/jpeg' },
      body: goldfish,
    });
    assert.equal(retired.status, 401);
    assert.equal((retired.body as ErrorBody).code, 'TCH_ERR_AUTH_INVALID');

    const after = new https.Agent({ ca: trust2, keepAlive: true });
    t.after(() => after.destroy());
    const fresh = await call(classify(url), {
      agent: after,
      method: 'POST',
      headers: { ...bearer(c), 'content-type': 'image/jpeg' },
      body: goldfish,
    });
    assert.equal(fresh.status, 200, 'a new connection trusting CA 2 gets the new certificate');
    await assert.rejects(
      call(`${url}/v2/health/live`, { agent: new https.Agent({ ca: trust1 }) }),
      /certificate|self.signed|issuer/i,
      'a new connection trusting only CA 1 fails',
    );
    assert.equal(await grpcServerLive(serve.ready.grpc, trust2), true, 'gRPC: new connections get the new certificate');
    await assert.rejects(
      grpcServerLive(serve.ready.grpc, trust1),
      (e: { code?: number }) => e.code === 14,
      'gRPC: CA 1 no longer verifies',
    );

    // A broken keys file on SIGHUP: logged, and the keys in force stay.
    writeFileSync(keysFile, '{"primary": ');
    serve.child.kill('SIGHUP');
    await serve.waitForLog(/reload failed/);
    assert.equal(
      (
        await call(classify(url), {
          agent: after,
          method: 'POST',
          headers: { ...bearer(c), 'content-type': 'image/jpeg' },
          body: goldfish,
        })
      ).status,
      200,
    );

    // Drain: a long request is in flight when SIGTERM arrives; it completes, then the process exits 0.
    const images = Array.from({ length: 96 }, () => goldfish);
    const { body, contentType } = multipart(images);
    const inFlight = call(classify(url), {
      agent: after,
      method: 'POST',
      headers: { ...bearer(c), 'content-type': contentType, 'x-request-id': 'drain-probe' },
      body,
    });
    await serve.waitForLog(/"reqId":"drain-probe".*incoming request/);
    await sleep(100);
    serve.child.kill('SIGTERM');
    await serve.waitForLog(/"msg":"draining"/);
    const refused = await call(`${url}/v2/health/ready`, { agent: new https.Agent({ ca: trust2 }) }).catch(
      (e: NodeJS.ErrnoException) => e.code,
    );
    if (typeof refused === 'object')
      assert.equal((refused.body as ErrorBody).code, 'TCH_ERR_SERVER_DRAINING', 'not ready while draining');
    else assert.match(String(refused), /ECONNREFUSED|ECONNRESET/);
    const done = await inFlight;
    assert.equal(done.status, 200, JSON.stringify(done.body).slice(0, 300));
    assert.equal((done.body as Results).results.length, images.length);
    assert.ok((done.body as Results).results.every((r) => r.top[0]!.label === GOLDFISH.label));
    const exit = await serve.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, serve.stderr().slice(-2000));
    assert.match(serve.stderr(), /"msg":"draining","inFlightHttp":[1-9]/);
    assert.match(serve.stderr(), /"msg":"drained","forced":false/);
    assert.equal(serve.stdout().trim().split('\n').length, 1, 'stdout holds the ready line only');
    assertNoSecrets(serve.stderr(), [a, b, c]);
  });

  test('generated keys are printed once in the ready line and never logged; SIGINT exits 0', async (t: TestContext) => {
    const dir = tempDir(t, 'tachyon-serve-test-');
    const serve = await spawnServe(
      t,
      ['--model', 'mnv2=mobilenetv2-int8', '--http-port', '0', '--grpc-port', '0'],
      dir,
    );
    const keys = serve.ready.keys!;
    assert.ok(keys && keys.primary.length >= 43 && keys.secondary.length >= 43 && keys.primary !== keys.secondary);
    assert.deepEqual(serve.ready.models, ['mnv2']);
    assert.match(serve.ready.http, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await call(classify(serve.ready.http), {
      method: 'POST',
      headers: { ...bearer(keys.secondary), 'content-type': 'image/jpeg' },
      body: goldfish,
    });
    assert.equal(ok.status, 200);
    const bad = await call(classify(serve.ready.http), {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.primary}x` },
      body: goldfish,
    });
    assert.equal(bad.status, 401);
    serve.child.kill('SIGINT');
    assert.deepEqual(await serve.exited, { code: 0, signal: null });
    assert.equal(serve.stdout().split(keys.primary).length, 2, 'the primary key is printed exactly once');
    assertNoSecrets(serve.stderr(), [keys.primary, keys.secondary]);
  });

  test('a non-loopback address without TLS, or --no-auth off loopback, is refused with exit code 1 before anything loads', () => {
    const run = (args: string[]) =>
      spawnSync(
        process.execPath,
        [CLI_BIN, '--model-path', join(sharedDir(), 'models'), 'serve', '--model', 'mobilenetv2-int8', ...args],
        { encoding: 'utf8', timeout: 30_000 },
      );
    for (const args of [
      ['--host', '0.0.0.0'],
      ['--host', '0.0.0.0', '--insecure', '--no-auth'],
      ['--host', '::', '--no-auth'],
    ]) {
      const r = run(args);
      assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /error TCH_ERR_SERVER_INSECURE/);
      assert.equal(r.stdout, '');
    }
    const half = run(['--tls-cert', 'c.pem']);
    assert.equal(half.status, 1);
    assert.match(half.stderr, /--tls-cert and --tls-key go together/);
  });
});
