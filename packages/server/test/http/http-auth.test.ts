import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN, MODEL, PRIMARY, SECONDARY, bearer, httpApp, keyRing, sharedHost } from '../support/http-fixture.js';
import { ORANGE, sampleImage } from '@tachyon-serve/test-support';

const host = sharedHost();
const image = sampleImage(ORANGE.file);
const classify = (headers: Record<string, string> = {}) => ({
  method: 'POST' as const,
  url: `/v1/services/${MODEL}/classify`,
  headers: { 'content-type': 'image/jpeg', ...headers },
  payload: image,
});

test('service keys: missing and wrong keys refused, primary and secondary accepted, rotation without restart', async (t) => {
  const ring = keyRing();
  const app = await httpApp(t, host(), ring.options);
  const missing = await app.inject(classify());
  assert.equal(missing.statusCode, 401);
  assert.equal(missing.json().code, 'TCH_ERR_AUTH_MISSING');
  const wrong = await app.inject(classify(bearer('not-the-key')));
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().code, 'TCH_ERR_AUTH_INVALID');
  assert.equal((await app.inject(classify({ authorization: PRIMARY }))).json().code, 'TCH_ERR_AUTH_INVALID');
  assert.equal((await app.inject(classify(bearer(PRIMARY)))).statusCode, 200);
  assert.equal((await app.inject(classify(bearer(SECONDARY)))).statusCode, 200);
  // Every keyed route, every protocol.
  for (const url of [`/v2/models/${MODEL}`, `/v2/models/${MODEL}/ready`, `/v1/models/${MODEL}`]) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401, url);
  }
  assert.equal((await app.inject({ method: 'POST', url: `/v2/models/${MODEL}/infer`, payload: {} })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: `/v1/models/${MODEL}:predict`, payload: {} })).statusCode, 401);

  // Rotate the primary: the callback is read per request.
  const rotated = 'rotated-primary-0123456789abcdefghijklmnop';
  ring.keys = [rotated, SECONDARY];
  assert.equal((await app.inject(classify(bearer(PRIMARY)))).json().code, 'TCH_ERR_AUTH_INVALID');
  assert.equal((await app.inject(classify(bearer(rotated)))).statusCode, 200);
  assert.equal((await app.inject(classify(bearer(SECONDARY)))).statusCode, 200);
  // The admin key is not a service key.
  assert.equal((await app.inject(classify(bearer(ADMIN)))).statusCode, 401);
});

test('open routes need no key; management needs the admin key', async (t) => {
  const app = await httpApp(t, host());
  for (const url of ['/v2', '/v2/health/live', '/v2/health/ready', '/openapi.json']) {
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
  const index = { method: 'POST' as const, url: '/v2/repository/index' };
  assert.equal((await app.inject(index)).json().code, 'TCH_ERR_AUTH_MISSING');
  assert.equal((await app.inject({ ...index, headers: bearer(PRIMARY) })).json().code, 'TCH_ERR_AUTH_INVALID');
  assert.equal((await app.inject({ ...index, headers: bearer(ADMIN) })).statusCode, 200);

  const noAdmin = await httpApp(t, host(), { auth: { keys: () => [PRIMARY] } });
  const refused = await noAdmin.inject({ ...index, headers: bearer(ADMIN) });
  assert.equal(refused.statusCode, 401);
  assert.match(refused.json().error, /no admin key/);
});

test("auth 'none' serves without keys", async (t) => {
  const app = await httpApp(t, host(), { auth: 'none' });
  assert.equal((await app.inject(classify())).statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/v2/repository/index' })).statusCode, 200);
});

test('rate limit per key: burst, then 429 TCH_ERR_LIMIT_RATE with Retry-After; keys have separate buckets', async (t) => {
  const app = await httpApp(t, host(), { rateLimit: { requestsPerSecond: 0.5, burst: 2 } });
  const meta = (key: string) => app.inject({ method: 'GET', url: `/v2/models/${MODEL}`, headers: bearer(key) });
  assert.equal((await meta(PRIMARY)).statusCode, 200);
  assert.equal((await meta(PRIMARY)).statusCode, 200);
  const limited = await meta(PRIMARY);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().code, 'TCH_ERR_LIMIT_RATE');
  assert.equal(limited.json().requestId, limited.headers['x-request-id']);
  const retryAfter = Number(limited.headers['retry-after']);
  assert.ok(retryAfter >= 1 && retryAfter <= 2, String(retryAfter));
  assert.equal((await meta(SECONDARY)).statusCode, 200);
  // Open routes are not limited, and a refused key does not spend a token.
  assert.equal((await app.inject({ method: 'GET', url: '/v2/health/ready' })).statusCode, 200);
  assert.equal((await meta('wrong-key')).statusCode, 401);
});

test('logs: every request line has the request id, and no key ever appears', async (t) => {
  const lines: string[] = [];
  const ring = keyRing();
  const app = await httpApp(
    t,
    host(),
    { ...ring.options, logLevel: 'trace' },
    { logStream: { write: (line) => void lines.push(line) } },
  );
  await app.inject(classify({ ...bearer(PRIMARY), 'x-request-id': 'log-test-1' }));
  await app.inject(classify({ ...bearer('WRONG-KEY-wrong-key-wrong-key'), 'x-request-id': 'log-test-2' }));
  await app.inject({
    method: 'POST',
    url: '/v2/repository/index',
    headers: { ...bearer(ADMIN), 'x-request-id': 'log-test-3' },
  });
  await app.inject({ method: 'GET', url: '/nowhere', headers: { ...bearer(SECONDARY), 'x-request-id': 'log-test-4' } });
  const all = lines.join('');
  for (const secret of [PRIMARY, SECONDARY, ADMIN, 'WRONG-KEY'])
    assert.ok(!all.includes(secret), `a key leaked into the logs: ${secret.slice(0, 6)}...`);
  const perRequest = lines
    .map((l) => JSON.parse(l) as { reqId?: string; msg: string })
    .filter((l) => l.reqId !== undefined);
  for (const id of ['log-test-1', 'log-test-2', 'log-test-3', 'log-test-4']) {
    assert.ok(perRequest.filter((l) => l.reqId === id).length >= 2, `request ${id} logged with its id`);
  }
  assert.ok(
    perRequest.some((l) => l.reqId === 'log-test-2' && /TCH_ERR_AUTH_INVALID|not valid/.test(JSON.stringify(l))),
  );
});

test('CORS is off by default and allows only the configured origins when on', async (t) => {
  const off = await httpApp(t, host());
  const plain = await off.inject({ method: 'GET', url: '/v2', headers: { origin: 'https://app.example' } });
  assert.equal(plain.headers['access-control-allow-origin'], undefined);

  const on = await httpApp(t, host(), { cors: { origins: ['https://app.example'] } });
  const preflight = await on.inject({
    method: 'OPTIONS',
    url: `/v1/services/${MODEL}/classify`,
    headers: {
      origin: 'https://app.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
  assert.equal(preflight.statusCode, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
  const refused = await on.inject(classify({ origin: 'https://app.example' }));
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.headers['access-control-allow-origin'], 'https://app.example');
  assert.match(String(refused.headers['access-control-expose-headers']), /server-timing/);
  const other = await on.inject({ method: 'GET', url: '/v2', headers: { origin: 'https://evil.example' } });
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});
