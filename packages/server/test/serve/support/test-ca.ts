import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Node cannot issue X.509 certificates, so test certificates come from the `openssl` binary (Debian's default). */
export function requireOpenssl(): string {
  for (const candidate of ['/usr/bin/openssl', '/usr/local/bin/openssl']) if (existsSync(candidate)) return candidate;
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    throw new Error('the `openssl` binary is needed to generate the test CA (Debian: apt-get install openssl)');
  }
}

export interface TestCa {
  caCert: string;
  caKey: string;
}

export interface ServerCert {
  cert: string;
  key: string;
}

/** A throw-away CA (EC P-256, valid 2 days) in `dir`, named `name` so two CAs can be told apart. */
export function createTestCa(dir: string, name = 'ca'): TestCa {
  const openssl = requireOpenssl();
  const caKey = join(dir, `${name}.key`);
  const caCert = join(dir, `${name}.pem`);
  execFileSync(openssl, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', caKey], {
    stdio: 'pipe',
  });
  execFileSync(
    openssl,
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-out',
      caCert,
      '-days',
      '2',
      '-subj',
      `/CN=tachyon test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    { stdio: 'pipe' },
  );
  return { caCert, caKey };
}

/** A server certificate for 127.0.0.1, ::1 and localhost signed by `ca`, written as `<name>.pem` / `<name>.key`. */
export function issueServerCert(ca: TestCa, dir: string, name = 'server', cn = 'localhost'): ServerCert {
  const openssl = requireOpenssl();
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  execFileSync(openssl, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], {
    stdio: 'pipe',
  });
  execFileSync(openssl, ['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${cn}`], { stdio: 'pipe' });
  writeFileSync(
    ext,
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    ].join('\n'),
  );
  execFileSync(
    openssl,
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.caCert,
      '-CAkey',
      ca.caKey,
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ],
    { stdio: 'pipe' },
  );
  return { cert, key };
}
