import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { toDaemonError } from '../../src/daemon/daemon-app.js';
import { defaultDashboardDir, registerUiStatic } from '../../src/daemon/ui-static.js';

test('the static handler serves the built files with types and cache headers, and nothing outside its folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-ui-static-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'ui');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>x</title>');
  await writeFile(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
  await writeFile(join(root, '.hidden'), 'no');
  await writeFile(join(dir, 'secret.txt'), 'outside');
  await symlink(join(dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const mapped = toDaemonError(error);
    return reply.code(mapped.httpStatus).send(mapped.toJSON());
  });
  registerUiStatic(app, root);
  t.after(() => app.close());

  const index = await app.inject('/ui/');
  assert.equal(index.statusCode, 200);
  assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.match(String(index.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal(
    (await app.inject({ url: '/ui/', headers: { 'if-none-match': String(index.headers.etag) } })).statusCode,
    304,
  );
  const js = await app.inject('/ui/assets/index-abc.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(js.body, 'console.log(1)');
  assert.equal((await app.inject('/ui')).headers.location, '/ui/');
  for (const url of [
    '/ui/../secret.txt',
    '/ui/%2e%2e/secret.txt',
    '/ui/assets/..%2f..%2fsecret.txt',
    '/ui/.hidden',
    '/ui/assets/link.txt',
    '/ui/assets',
    '/ui/a%5c..%5csecret.txt',
    '/ui/api/nothing',
  ]) {
    const res = await app.inject(url);
    assert.equal(res.statusCode, 404, url);
    assert.ok(!res.body.includes('outside'), url);
  }
});

test('without a build, /ui/ says how to build it; the default folder comes from the environment first', async (t) => {
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => {
    const mapped = toDaemonError(error);
    return reply.code(mapped.httpStatus).send(mapped.toJSON());
  });
  registerUiStatic(app, join(tmpdir(), 'tachyon-no-such-dashboard'));
  t.after(() => app.close());
  const res = await app.inject('/ui/');
  assert.equal(res.statusCode, 404);
  assert.match(res.json<{ error: string }>().error, /npm run build/);
  assert.equal(defaultDashboardDir({ TACHYON_DASHBOARD_DIR: '/srv/ui' }), '/srv/ui');
  assert.match(defaultDashboardDir({}), /dashboard[/\\]dist[/\\]ui[/\\]?$/);
});
