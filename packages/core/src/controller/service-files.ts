import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DAEMON_DIR, TachyonError } from '@tachyon/protocol';
import type { CompiledServiceSpec } from './service-spec.js';

const run = promisify(execFile);

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
    throw new TachyonError('TCH_ERR_CONFIG_INVALID', `Keys file "${paths.keys}" does not hold primary, secondary and admin keys.`, { details: { file: paths.keys } });
  }
  return keys;
}

/** Replaces one service key in the file (the server picks it up on SIGHUP); returns the new keys. */
export async function regenerateServiceKey(paths: ServicePaths, which: 'primary' | 'secondary'): Promise<ServiceKeyFile> {
  const keys = { ...(await readServiceKeys(paths)), [which]: newKey() };
  await writePrivateFile(paths.keys, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1 (made once with the `openssl` binary, key mode 0600); the
 * certificate file is also the CA file clients trust.
 */
export async function ensureSelfSignedCertificate(paths: ServicePaths, name: string): Promise<void> {
  const exists = await readFile(paths.tlsCert).then(() => readFile(paths.tlsKey)).then(() => true, () => false);
  if (exists) return;
  await mkdir(paths.tlsDir, { recursive: true, mode: 0o700 });
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '825',
      '-keyout', paths.tlsKey, '-out', paths.tlsCert, '-subj', `/CN=${name}.localhost`,
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=digitalSignature,keyCertSign',
      '-addext', 'extendedKeyUsage=serverAuth',
    ], { timeout: 30_000 });
    await chmod(paths.tlsKey, 0o600);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_DEPLOY_FAILED', `Cannot create the self-signed certificate of service "${name}" with openssl (is the openssl binary installed?).`, {
      details: { service: name, dir: paths.tlsDir },
      cause,
    });
  }
}

/** The serve config file of a service (docs/serve-config.md): its model from the registry, its ports, keys and TLS. */
export function buildServeConfig(name: string, spec: CompiledServiceSpec, options: { workspaceRoot: string; paths: ServicePaths; httpPort: number; grpcPort: number }): Record<string, unknown> {
  const tls = spec.tls === 'none' ? undefined : spec.tls === 'self-signed' ? { certFile: options.paths.tlsCert, keyFile: options.paths.tlsKey } : { ...spec.tls };
  return {
    models: [{ name, source: `registry:${spec.model.name}`, versionPolicy: { specific: [String(spec.model.version)] } }],
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
