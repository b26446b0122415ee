import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ModelHost } from '@tachyon-serve/core';
import { ADMIN, PRIMARY, bearer, httpApp } from '../support/http-fixture.js';
import {
  FP32_FILE,
  INT8_FILE,
  REGISTERED,
  createHost,
  modelFile,
  orange,
  registryWorkspace,
} from '../model-host/registry-fixture.js';

const load = (name: string, body?: unknown, key = ADMIN) => ({
  method: 'POST' as const,
  url: `/v2/repository/models/${name}/load`,
  headers: bearer(key),
  ...(body === undefined ? {} : { payload: body as object }),
});
const unload = (name: string, body?: unknown, key = ADMIN) => ({
  method: 'POST' as const,
  url: `/v2/repository/models/${name}/unload`,
  headers: bearer(key),
  ...(body === undefined ? {} : { payload: body as object }),
});
const index = (key = ADMIN, body?: unknown) => ({
  method: 'POST' as const,
  url: '/v2/repository/index',
  headers: bearer(key),
  ...(body === undefined ? {} : { payload: body as object }),
});
const inferRequest = (name: string) => ({
  method: 'POST' as const,
  url: `/v2/models/${name}/infer`,
  headers: bearer(),
  payload: { inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }] },
});

async function appWithRegistry(
  t: TestContext,
  files: readonly string[],
  control = {},
): Promise<{ app: FastifyInstance; host: ModelHost; ws: Awaited<ReturnType<typeof registryWorkspace>> }> {
  const ws = await registryWorkspace(t, files);
  const host = await createHost(t, { workspace: ws.dir, control });
  return { app: await httpApp(t, host), host, ws };
}

test('repository routes need the admin key: 401 without a key and with a service key', async (t) => {
  const { app } = await appWithRegistry(t, [INT8_FILE]);
  for (const request of [index(), load(REGISTERED), unload(REGISTERED)]) {
    const { authorization: _, ...noKey } = request.headers;
    const missing = await app.inject({ ...request, headers: noKey });
    assert.equal(missing.statusCode, 401, request.url);
    assert.equal(missing.json().code, 'TCH_ERR_AUTH_MISSING');
    const service = await app.inject({ ...request, headers: bearer(PRIMARY) });
    assert.equal(service.statusCode, 401, request.url);
    assert.equal(service.json().code, 'TCH_ERR_AUTH_INVALID');
  }
  assert.equal((await app.inject(index())).statusCode, 200);
});

test('index, load (Triton shapes), infer, unload', async (t) => {
  const { app } = await appWithRegistry(t, [INT8_FILE, FP32_FILE]);
  assert.deepEqual((await app.inject(index())).json(), [
    { name: REGISTERED, version: '1', state: 'UNAVAILABLE', reason: 'not loaded' },
    { name: REGISTERED, version: '2', state: 'UNAVAILABLE', reason: 'not loaded' },
  ]);
  assert.equal((await app.inject(inferRequest(REGISTERED))).json().code, 'TCH_ERR_MODEL_NOT_FOUND');

  // No body: registry:<name>, latest 1.
  const loaded = await app.inject(load(REGISTERED));
  assert.equal(loaded.statusCode, 200, loaded.body);
  assert.deepEqual(loaded.json(), {});
  assert.deepEqual((await app.inject(index(ADMIN, { ready: true }))).json(), [
    { name: REGISTERED, version: '2', state: 'READY' },
  ]);
  const answer = await app.inject(inferRequest(REGISTERED));
  assert.equal(answer.statusCode, 200, answer.body);
  assert.equal(answer.json().model_version, '2');

  // version_policy latest 2 loads the other one too; KServe metadata lists both.
  assert.equal((await app.inject(load(REGISTERED, { parameters: { version_policy: { latest: 2 } } }))).statusCode, 200);
  const metadata = await app.inject({ method: 'GET', url: `/v2/models/${REGISTERED}/versions/1`, headers: bearer() });
  assert.deepEqual(metadata.json().versions, ['1', '2']);
  assert.deepEqual(
    (await app.inject(index())).json().map((r: { version: string; state: string }) => `${r.version}:${r.state}`),
    ['1:READY', '2:READY'],
  );

  // Unload one version, then the rest; tritonclient's unload_dependents is accepted.
  assert.equal(
    (await app.inject(unload(REGISTERED, { parameters: { version: '2', unload_dependents: false } }))).statusCode,
    200,
  );
  assert.equal((await app.inject(inferRequest(REGISTERED))).json().model_version, '1');
  assert.equal((await app.inject(unload(REGISTERED))).statusCode, 200);
  assert.equal((await app.inject(inferRequest(REGISTERED))).json().code, 'TCH_ERR_MODEL_NOT_FOUND');
  assert.equal((await app.inject(unload(REGISTERED))).json().code, 'TCH_ERR_MODEL_NOT_FOUND');

  // A served name from any source.
  assert.equal((await app.inject(load('mnv2', { parameters: { source: 'mobilenetv2-int8' } }))).statusCode, 200);
  assert.equal((await app.inject(inferRequest('mnv2'))).json().model_version, '1');
});

test('load refusals: bad bodies (400), unknown models (404), budget (429) with needed and available', async (t) => {
  const { app, host } = await appWithRegistry(t, [INT8_FILE], { memoryBudgetBytes: 1_000_000 });
  for (const body of [
    'not json',
    [],
    { parameters: { version_policy: { latest: 0 } } },
    { parameters: { source: 3 } },
    { parameters: { config: '{}' } },
  ]) {
    const res = await app.inject(load(REGISTERED, body));
    assert.equal(res.statusCode, 400, JSON.stringify(body));
    assert.equal(res.json().code, 'TCH_ERR_CONFIG_INVALID');
  }
  assert.equal((await app.inject(load('nope'))).json().code, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND');
  const budget = await app.inject(load(REGISTERED));
  assert.equal(budget.statusCode, 429);
  assert.equal(budget.json().code, 'TCH_ERR_MODEL_BUDGET_EXCEEDED');
  assert.equal(budget.json().details.available, 1_000_000);
  assert.ok(budget.json().details.needed > 1_000_000);
  assert.deepEqual(host.names(), []);
});

test('model control disabled: load and unload answer 404, the index still answers', async (t) => {
  const ws = await registryWorkspace(t, [INT8_FILE]);
  const host = await createHost(t, { workspace: ws.dir, control: { enabled: false } });
  const app = await httpApp(t, host);
  for (const request of [load(REGISTERED), unload(REGISTERED)]) {
    const res = await app.inject(request);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'TCH_ERR_IO_NOT_FOUND');
  }
  assert.equal((await app.inject(index())).statusCode, 200);
  assert.deepEqual(host.names(), []);
});

test('loading version 2 while requests run: none fails, and answers switch to version 2', async (t) => {
  const { app, ws } = await appWithRegistry(t, [INT8_FILE]);
  assert.equal((await app.inject(load(REGISTERED))).statusCode, 200);
  const seen: { version: string; afterLoad: boolean }[] = [];
  const failures: string[] = [];
  let loadDone = false;
  let afterLoad = 0;
  // Two clients in a loop, until each has had a few answers after the load returned.
  const client = async () => {
    while (afterLoad < 6) {
      const startedAfterLoad = loadDone;
      const res = await app.inject(inferRequest(REGISTERED));
      if (res.statusCode !== 200) failures.push(res.body);
      else seen.push({ version: res.json().model_version, afterLoad: startedAfterLoad });
      if (startedAfterLoad) afterLoad += 1;
    }
  };
  const clients = [client(), client()];
  await ws.registry.register(modelFile(FP32_FILE), REGISTERED);
  const reloaded = await app.inject(load(REGISTERED));
  loadDone = true;
  assert.equal(reloaded.statusCode, 200, reloaded.body);
  await Promise.all(clients);
  assert.deepEqual(failures, []);
  assert.ok(
    seen.some((s) => s.version === '1'),
    'version 1 answered while version 2 loaded',
  );
  assert.deepEqual([...new Set(seen.filter((s) => s.afterLoad).map((s) => s.version))], ['2']);
  assert.deepEqual((await app.inject(index())).json(), [
    { name: REGISTERED, version: '1', state: 'UNAVAILABLE', reason: 'not loaded' },
    { name: REGISTERED, version: '2', state: 'READY' },
  ]);
});
