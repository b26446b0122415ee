import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { makeSelfSignedCertificate } from '../src/controller/service-files.js';

test('the self-signed certificate is made in process: EC P-256, SAN localhost + 127.0.0.1, CA, serverAuth, 825 days', async () => {
  const { certPem, keyPem } = await makeSelfSignedCertificate('demo.localhost');
  const cert = new X509Certificate(certPem);
  assert.equal(cert.subject, 'CN=demo.localhost');
  assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
  assert.equal(cert.ca, true);
  assert.equal(cert.checkHost('localhost'), 'localhost');
  assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(cert.publicKey.asymmetricKeyType, 'ec');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
  assert.ok(Math.abs(days - 825) < 1, `valid ${days} days`);
  const key = createPrivateKey(keyPem);
  assert.ok(cert.checkPrivateKey(key));
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
});
