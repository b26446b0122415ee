import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { before, after } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { compileModelSources } from '@tachyon-serve/core';
import { ModelHost } from '@tachyon-serve/core';
import { createHttpServer, type HttpServerExtras } from '../../src/http/http-server.js';
import type { HttpOptions } from '../../src/http/http-options.js';
import { sharedDir } from '@tachyon-serve/test-support';

export const MODEL = 'mnv2';
export const PRIMARY = 'primary-key-0123456789abcdefghijklmnopqrstuv';
export const SECONDARY = 'secondary-key-0123456789abcdefghijklmnopqrs';
export const ADMIN = 'admin-key-0123456789abcdefghijklmnopqrstuvwx';

/** One ModelHost serving the real mobilenetv2-int8 as MODEL, loaded once per test file (before/after hooks). */
export function sharedHost(): () => ModelHost {
  let host: ModelHost | undefined;
  let cacheDir: string | undefined;
  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'tachyon-http-test-'));
    const sources = compileModelSources({
      cacheDir,
      modelPath: [join(sharedDir(), 'models')],
      allowDownload: false,
      env: {},
    });
    host = await ModelHost.create({ sources, pool: { workers: 1, intraOpThreads: 2, oversubscribe: true } });
    await host.load(MODEL, { kind: 'model', ref: 'mobilenetv2-int8' });
  });
  after(async () => {
    await host?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });
  return () => {
    if (!host) throw new Error('the host is not loaded yet');
    return host;
  };
}

/** Keys accepted for MODEL: primary and secondary, read from a mutable list so tests can rotate them. */
export interface KeyRing {
  keys: string[];
  options: Pick<HttpOptions, 'auth'>;
}

export function keyRing(keys: string[] = [PRIMARY, SECONDARY]): KeyRing {
  const ring: KeyRing = { keys, options: { auth: 'none' } };
  ring.options = { auth: { keys: () => ring.keys, adminKey: ADMIN } };
  return ring;
}

/** An app (not listening) closed after the test. */
export async function httpApp(
  t: TestContext,
  host: ModelHost,
  options: Partial<HttpOptions> = {},
  extras: HttpServerExtras = {},
): Promise<FastifyInstance> {
  const app = createHttpServer(host, { ...keyRing().options, logLevel: 'silent', ...options }, extras);
  t.after(() => app.close());
  await app.ready();
  return app;
}

export const bearer = (key = PRIMARY) => ({ authorization: `Bearer ${key}` });
