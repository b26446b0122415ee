import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildHttpApp, fastifyServerOptions } from '../../src/http/http-server.js';
import { compileHttpOptions } from '../../src/http/http-options.js';
import { buildOpenApiDocument } from '../../src/http/openapi/openapi-document.js';
import type { ModelHost } from '@tachyon-serve/core';
import { REPO_ROOT } from '@tachyon-serve/test-support';

const DOC_PATH = join(REPO_ROOT, 'docs', 'openapi.json');
const REGENERATE = `node --input-type=module -e "import {buildOpenApiDocument as b} from './packages/server/dist/src/index.js'; process.stdout.write(JSON.stringify(b(), null, 2) + '\\n')" > docs/openapi.json`;

type Operation = { security: Record<string, unknown>[] };
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** fastify route url -> OpenAPI path: ':name(^regex)' and ':name' -> '{name}', '::' -> a literal ':'. */
function toOpenApiPath(url: string): string {
  return url
    .replace(/:(\w+)\([^)]*\)/g, '{$1}')
    .replaceAll('::', '\u0000')
    .replace(/:(\w+)/g, '{$1}')
    .replaceAll('\u0000', ':');
}

// Routes need no loaded model to be registered; the host is never called.
const noHost = {} as ModelHost;

async function registeredRoutes(): Promise<{
  app: FastifyInstance;
  routes: { method: string; path: string; access: string }[];
}> {
  const config = compileHttpOptions({ auth: { keys: () => [] }, logLevel: 'silent' });
  const app = Fastify(fastifyServerOptions(config)) as unknown as FastifyInstance;
  const routes: { method: string; path: string; access: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD' && method !== 'OPTIONS')
        routes.push({
          method: method.toLowerCase(),
          path: toOpenApiPath(route.url),
          access: String(route.config?.access),
        });
    }
  });
  buildHttpApp(app, noHost, config);
  await app.ready();
  return { app, routes };
}

test('docs/openapi.json is the document the server builds (regenerate with the command in the message)', () => {
  const onDisk = JSON.parse(readFileSync(DOC_PATH, 'utf8')) as Doc;
  assert.deepEqual(onDisk, buildOpenApiDocument(), `docs/openapi.json is stale; run: ${REGENERATE}`);
  assert.equal(onDisk.openapi, '3.0.3');
});

test('every registered route is documented with its method and auth, and nothing else is', async (t) => {
  const { app, routes } = await registeredRoutes();
  t.after(() => app.close());
  const doc = buildOpenApiDocument() as unknown as Doc;
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method} ${path}`),
  );
  assert.deepEqual([...new Set(routes.map((r) => `${r.method} ${r.path}`))].sort(), documented.sort());
  const expectedSecurity: Record<string, unknown[]> = {
    open: [],
    live: [],
    service: [{ serviceKey: [] }],
    admin: [{ adminKey: [] }],
  };
  for (const route of routes) {
    assert.deepEqual(
      doc.paths[route.path]![route.method]!.security,
      expectedSecurity[route.access],
      `${route.method} ${route.path}`,
    );
  }
  // Every $ref resolves.
  const text = JSON.stringify(doc);
  for (const [, section, name] of text.matchAll(/"#\/components\/(\w+)\/(\w+)"/g)) {
    assert.ok(
      (doc as unknown as { components: Record<string, Record<string, unknown>> }).components[section!]?.[name!],
      `missing #/components/${section}/${name}`,
    );
  }
});

test('GET /openapi.json serves the document without a key', async (t) => {
  const { app } = await registeredRoutes();
  t.after(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), buildOpenApiDocument());
});
