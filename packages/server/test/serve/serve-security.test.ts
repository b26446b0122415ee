// The security rules of the server process, without loading a model: addresses, keys files, TLS pairs, options.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { checkSecurity, formatHostPort, isLoopbackHost } from '../../src/serve/address-policy.js';
import { KeyStore, readKeysFile } from '../../src/serve/key-store.js';
import { createServeLogger, redact, redactingLogger } from '../../src/serve/serve-logger.js';
import { compileServeOptions } from '../../src/serve/serve-options.js';
import { startServer } from '../../src/serve/start-server.js';
import { readTlsMaterial } from '../../src/serve/tls-material.js';
import { createTestCa, issueServerCert } from './support/test-ca.js';
import { tempDir } from '@tachyon-serve/test-support';

const code = (c: string) => (error: unknown) => isTachyonError(error) && error.code === c;
const KEYS = { primary: 'p'.repeat(20) + 'rimary-key', secondary: 's'.repeat(20) + 'econdary-key' };

describe('address policy', () => {
  test('loopback is 127.0.0.0/8, ::1 and localhost; wildcards and other names are not', () => {
    for (const h of [
      '127.0.0.1',
      '127.8.9.10',
      'localhost',
      'LOCALHOST',
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1',
      '::ffff:127.0.0.1',
      'a.localhost',
    ]) {
      assert.equal(isLoopbackHost(h), true, h);
    }
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '192.168.1.2',
      '128.0.0.1',
      'example.com',
      'localhost.example.com',
      '::ffff:10.0.0.1',
      '::2',
    ]) {
      assert.equal(isLoopbackHost(h), false, h);
    }
    assert.equal(formatHostPort('::1', 80), '[::1]:80');
    assert.equal(formatHostPort('127.0.0.1', 80), '127.0.0.1:80');
  });

  test('non-loopback needs TLS and keys; --insecure allows plaintext with a warning; --no-auth never', () => {
    assert.deepEqual(checkSecurity({ host: '127.0.0.1', tls: false, auth: false, insecure: false }), []);
    assert.deepEqual(checkSecurity({ host: '0.0.0.0', tls: true, auth: true, insecure: false }), []);
    assert.throws(
      () => checkSecurity({ host: '0.0.0.0', tls: false, auth: true, insecure: false }),
      code('TCH_ERR_SERVER_INSECURE'),
    );
    assert.throws(
      () => checkSecurity({ host: '0.0.0.0', tls: true, auth: false, insecure: false }),
      code('TCH_ERR_SERVER_INSECURE'),
    );
    assert.throws(
      () => checkSecurity({ host: '::', tls: false, auth: false, insecure: true }),
      code('TCH_ERR_SERVER_INSECURE'),
    );
    const warnings = checkSecurity({ host: '0.0.0.0', tls: false, auth: true, insecure: true });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /WITHOUT TLS/);
  });

  test('startServer refuses a non-loopback address before it loads a model or opens a port', async () => {
    const models = [{ name: 'm', source: 'no-such-model-id' }];
    await assert.rejects(startServer({ models, host: '0.0.0.0', httpPort: 0, grpcPort: 0 }), (e: unknown) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_SERVER_INSECURE'));
      assert.match(e.message, /--tls-cert/);
      return true;
    });
    await assert.rejects(
      startServer({ models, host: '0.0.0.0', insecure: true, noAuth: true, httpPort: 0, grpcPort: 0 }),
      code('TCH_ERR_SERVER_INSECURE'),
    );
  });
});

describe('keys', () => {
  test('a keys file is read, checked and re-read; a bad file keeps the old keys', async (t: TestContext) => {
    const dir = tempDir(t, 'tachyon-serve-test-');
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify(KEYS), { mode: 0o600 });
    const warnings: string[] = [];
    const store = await KeyStore.create({ file, auth: true, warn: (m) => warnings.push(m) });
    assert.deepEqual(store.accepted(), [KEYS.primary, KEYS.secondary]);
    assert.equal(store.generated, false);
    assert.deepEqual(warnings, []);

    const rotated = { primary: 'n'.repeat(24), secondary: KEYS.primary };
    writeFileSync(file, JSON.stringify(rotated));
    assert.equal(await store.reload(), true);
    assert.deepEqual(store.accepted(), [rotated.primary, rotated.secondary]);
    assert.equal(await store.reload(), false);

    writeFileSync(file, '{"primary": "half-writ');
    await assert.rejects(
      store.reload(),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID') && !e.message.includes('half-writ'),
    );
    assert.deepEqual(store.accepted(), [rotated.primary, rotated.secondary], 'old keys stay in force');
  });

  test('invalid keys files are refused with every issue; a world-readable one is warned about', async (t: TestContext) => {
    const dir = tempDir(t, 'tachyon-serve-test-');
    const file = join(dir, 'keys.json');
    for (const bad of [
      [],
      { primary: 'short', secondary: 'x'.repeat(20) },
      { primary: 'a'.repeat(20) },
      { primary: 'a'.repeat(20), secondary: 'a'.repeat(20) },
      { primary: 'a b'.repeat(10), secondary: 'c'.repeat(20) },
    ]) {
      writeFileSync(file, JSON.stringify(bad));
      await assert.rejects(readKeysFile(file), code('TCH_ERR_CONFIG_INVALID'), JSON.stringify(bad));
    }
    await assert.rejects(readKeysFile(join(dir, 'missing.json')), code('TCH_ERR_IO_NOT_FOUND'));
    writeFileSync(file, JSON.stringify(KEYS));
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    await readKeysFile(file, (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /chmod 600/);
    assert.ok(!warnings[0]!.includes(KEYS.primary));
  });

  test('generated keys are two different 256-bit base64url strings; --no-auth accepts none', async () => {
    const store = await KeyStore.create({ auth: true });
    assert.equal(store.generated, true);
    const [a, b] = store.accepted();
    for (const k of [a!, b!]) assert.equal(Buffer.from(k, 'base64url').length, 32);
    assert.notEqual(a, b);
    assert.equal(await store.reload(), false);
    const none = await KeyStore.create({ auth: false });
    assert.equal(none.enabled, false);
    assert.deepEqual(none.accepted(), []);
  });

  test('log lines are scrubbed of the keys in force', () => {
    const lines: string[] = [];
    const logger = redactingLogger(createServeLogger({ write: (l) => void lines.push(l) }), () => [KEYS.primary]);
    logger.warn(`bad header Bearer ${KEYS.primary}`, { header: `Bearer ${KEYS.primary}` });
    logger.write(`{"msg":"x","authorization":"Bearer ${KEYS.primary}"}`);
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.ok(!l.includes(KEYS.primary));
      assert.match(l, /\[redacted\]/);
    }
    assert.equal(redact('short', ['short']), 'short', 'too short to be a key: left alone');
  });
});

describe('TLS material', () => {
  test('a matching PEM pair is accepted; a mismatched, missing or non-PEM one is refused without quoting it', async (t: TestContext) => {
    const dir = tempDir(t, 'tachyon-serve-test-');
    const ca = createTestCa(dir);
    const one = issueServerCert(ca, dir, 'one');
    const two = issueServerCert(ca, dir, 'two');
    const material = await readTlsMaterial({ certFile: one.cert, keyFile: one.key });
    assert.match(material.summary.subject, /CN=localhost/);
    assert.match(material.summary.issuer, /tachyon test ca/);
    await assert.rejects(
      readTlsMaterial({ certFile: one.cert, keyFile: two.key }),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVER_TLS_INVALID') && /does not belong/.test(e.message),
    );
    await assert.rejects(
      readTlsMaterial({ certFile: one.cert, keyFile: join(dir, 'nope.key') }),
      code('TCH_ERR_IO_NOT_FOUND'),
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate at all');
    await assert.rejects(
      readTlsMaterial({ certFile: junk, keyFile: one.key }),
      (e: unknown) =>
        isTachyonError(e, 'TCH_ERR_SERVER_TLS_INVALID') && !e.message.includes('not a certificate at all'),
    );
    // The key as the certificate: the key's PEM must not leak into the message.
    copyFileSync(one.key, join(dir, 'swapped.pem'));
    await assert.rejects(readTlsMaterial({ certFile: join(dir, 'swapped.pem'), keyFile: one.key }), (e: unknown) => {
      const body = readFileSync(one.key, 'utf8').split('\n')[1]!;
      return (
        isTachyonError(e, 'TCH_ERR_SERVER_TLS_INVALID') &&
        !e.message.includes(body) &&
        !JSON.stringify(e.details).includes(body)
      );
    });
  });
});

describe('serve options', () => {
  test('defaults, and misuse named by option', () => {
    const config = compileServeOptions({
      models: [
        { name: 'mnv2', source: 'mobilenetv2-int8' },
        { name: 'svc', source: 'x/model_def.zip' },
      ],
    });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.httpPort, 8000);
    assert.equal(config.grpcPort, 8001);
    assert.equal(config.drainTimeoutMs, 30_000);
    assert.deepEqual(config.models[1]!.source, { kind: 'service-definition', path: 'x/model_def.zip' });
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.models[0]));
    const m = [{ name: 'a', source: 'b' }];
    assert.throws(() => compileServeOptions({ models: [] }), /models/);
    assert.throws(() => compileServeOptions({ models: [{ name: 'a/b', source: 'x' }] }), /models\[0\]\.name/);
    assert.throws(() => compileServeOptions({ models: [...m, ...m] }), /used twice/);
    assert.throws(() => compileServeOptions({ models: m, httpPort: 70000 }), /httpPort/);
    assert.throws(() => compileServeOptions({ models: m, httpPort: 9000, grpcPort: 9000 }), /grpcPort/);
    assert.throws(() => compileServeOptions({ models: m, noAuth: true, keysFile: 'k.json' }), /noAuth/);
    assert.throws(() => compileServeOptions({ models: m, tls: { certFile: 'c.pem' } as never }), /tls/);
  });
});
