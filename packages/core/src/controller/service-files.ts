import { randomBytes, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DAEMON_DIR, TachyonError } from '@tachyon-serve/protocol';
import type { CompiledServiceSpec } from './service-spec.js';

/** The daemon's folder in a workspace: `<root>/.tachyon`. */
export const daemonDir = (workspaceRoot: string): string => join(workspaceRoot, DAEMON_DIR);

/** The files of one deployed service, all under `<root>/.tachyon/services/<name>/`. */
export interface ServicePaths {
  readonly dir: string;
  /** `{primary, secondary, admin}`, mode 0600. */
  readonly keys: string;
  /** The generated `tachyon serve` config. */
  readonly serveConfig: string;
  readonly tlsDir: string;
  readonly tlsCert: string;
  readonly tlsKey: string;
  /** The server's stdout+stderr, rotated (server.log.1, .2). */
  readonly log: string;
  /** The server process's TMPDIR (model work folders): emptied before each start, removed with the service. */
  readonly tmp: string;
}

export function servicePaths(workspaceRoot: string, name: string): ServicePaths {
  const dir = join(daemonDir(workspaceRoot), 'services', name);
  return Object.freeze({
    dir,
    keys: join(dir, 'keys.json'),
    serveConfig: join(dir, 'serve.json'),
    tlsDir: join(dir, 'tls'),
    tlsCert: join(dir, 'tls', 'server.crt'),
    tlsKey: join(dir, 'tls', 'server.key'),
    log: join(dir, 'logs', 'server.log'),
    tmp: join(dir, 'tmp'),
  });
}

export interface ServiceKeyFile {
  primary: string;
  secondary: string;
  admin: string;
}

const newKey = (): string => randomBytes(32).toString('base64url');

/** Writes `text` to `file` with mode 0600, atomically (temp file + rename), whatever the umask. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.partial`;
  try {
    await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
    await chmod(temp, 0o600);
    await rename(temp, file);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new TachyonError('TCH_ERR_DEPLOY_FAILED', `Cannot write "${file}".`, { details: { file }, cause });
  }
}

/** Reads the service's keys, creating them (32 random bytes each, base64url, mode 0600) when the file is missing. */
export async function ensureServiceKeys(paths: ServicePaths): Promise<ServiceKeyFile> {
  const existing = await readServiceKeys(paths).catch(() => undefined);
  if (existing) return existing;
  const keys = { primary: newKey(), secondary: newKey(), admin: newKey() };
  await writePrivateFile(paths.keys, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}

export async function readServiceKeys(paths: ServicePaths): Promise<ServiceKeyFile> {
  const keys = JSON.parse(await readFile(paths.keys, 'utf8')) as ServiceKeyFile;
  if (typeof keys.primary !== 'string' || typeof keys.secondary !== 'string' || typeof keys.admin !== 'string') {
    throw new TachyonError(
      'TCH_ERR_CONFIG_INVALID',
      `Keys file "${paths.keys}" does not hold primary, secondary and admin keys.`,
      { details: { file: paths.keys } },
    );
  }
  return keys;
}

/** Replaces one service key in the file (the server picks it up on SIGHUP); returns the new keys. */
export async function regenerateServiceKey(
  paths: ServicePaths,
  which: 'primary' | 'secondary',
): Promise<ServiceKeyFile> {
  const keys = { ...(await readServiceKeys(paths)), [which]: newKey() };
  await writePrivateFile(paths.keys, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1 (made once, in process with @peculiar/x509 on WebCrypto: no
 * system binary; EC P-256 key, ECDSA-SHA256, 825 days, CN=<name>.localhost, SAN DNS:localhost + IP:127.0.0.1, CA:TRUE,
 * keyUsage digitalSignature+keyCertSign, extendedKeyUsage serverAuth; key mode 0600); the certificate file is also the
 * CA file clients trust.
 */
export async function ensureSelfSignedCertificate(paths: ServicePaths, name: string): Promise<void> {
  const exists = await readFile(paths.tlsCert)
    .then(() => readFile(paths.tlsKey))
    .then(
      () => true,
      () => false,
    );
  if (exists) return;
  await mkdir(paths.tlsDir, { recursive: true, mode: 0o700 });
  try {
    const { certPem, keyPem } = await makeSelfSignedCertificate(`${name}.localhost`);
    await writeFile(paths.tlsKey, keyPem, { mode: 0o600 });
    await chmod(paths.tlsKey, 0o600);
    await writeFile(paths.tlsCert, certPem, { mode: 0o644 });
  } catch (cause) {
    throw new TachyonError('TCH_ERR_DEPLOY_FAILED', `Cannot create the self-signed certificate of service "${name}".`, {
      details: { service: name, dir: paths.tlsDir },
      cause,
    });
  }
}

/** The self-signed certificate and its PKCS#8 key, PEM (see ensureSelfSignedCertificate for what it holds). */
export async function makeSelfSignedCertificate(
  commonName: string,
  days = 825,
): Promise<{ certPem: string; keyPem: string }> {
  await import('reflect-metadata'); // @peculiar/x509's dependency injection (tsyringe) needs the Reflect polyfill
  const x509 = await import('@peculiar/x509');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node's webcrypto is the DOM Crypto x509 types name
  const crypto = webcrypto as any;
  x509.cryptoProvider.set(crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: `CN=${commonName}`,
      notBefore,
      notAfter: new Date(notBefore.getTime() + days * 86_400_000),
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
        ]),
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    },
    crypto,
  );
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { certPem: `${cert.toString('pem')}\n`.replace(/\r\n/g, '\n').replace(/\n+$/, '\n'), keyPem };
}

/** The serve config file of a service (docs/serve-config.md): its model from the registry, its ports, keys and TLS. */
export function buildServeConfig(
  name: string,
  spec: CompiledServiceSpec,
  options: { workspaceRoot: string; paths: ServicePaths; httpPort: number; grpcPort: number },
): Record<string, unknown> {
  const tls =
    spec.tls === 'none'
      ? undefined
      : spec.tls === 'self-signed'
        ? { certFile: options.paths.tlsCert, keyFile: options.paths.tlsKey }
        : { ...spec.tls };
  return {
    models: [
      { name, source: `registry:${spec.model.name}`, versionPolicy: { specific: [String(spec.model.version)] } },
    ],
    host: '127.0.0.1',
    httpPort: options.httpPort,
    grpcPort: options.grpcPort,
    keysFile: options.paths.keys,
    ...(tls === undefined ? {} : { tls }),
    workers: spec.workers,
    ...(Object.keys(spec.scheduler).length === 0 ? {} : { scheduler: { ...spec.scheduler } }),
    workspace: options.workspaceRoot,
    drainTimeoutMs: 10_000,
    logLevel: 'info',
  };
}

export async function writeServeConfig(paths: ServicePaths, config: Record<string, unknown>): Promise<void> {
  await writePrivateFile(paths.serveConfig, `${JSON.stringify(config, null, 2)}\n`);
}

export async function prepareServiceDir(paths: ServicePaths): Promise<void> {
  await mkdir(join(paths.dir, 'logs'), { recursive: true, mode: 0o700 });
}

export async function removeServiceDir(paths: ServicePaths): Promise<void> {
  await rm(paths.dir, { recursive: true, force: true });
}
