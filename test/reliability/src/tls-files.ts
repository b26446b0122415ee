// A throwaway self-signed certificate for 127.0.0.1 / localhost, made with the openssl binary (as the daemon does).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** The certificate's PEM, which is also the CA a client trusts. */
  ca: string;
}

export function createSelfSignedTls(dir: string): TlsFiles {
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-subj',
      '/CN=reliability.localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { certFile, keyFile, ca: readFileSync(certFile, 'utf8') };
}
