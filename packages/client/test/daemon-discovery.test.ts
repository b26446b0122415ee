import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { AUTHORIZATION_HEADER, DAEMON_DIR, DAEMON_INFO_FILE, DAEMON_TOKEN_FILE } from '@tachyon-serve/protocol';
import { DaemonClient, findDaemonAt } from '../src/index.js';

function workspace(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-daemon-find-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, DAEMON_DIR));
  return dir;
}

/** A stand-in daemon answering GET /v1/health for `workspace` when the bearer token matches. */
async function fakeDaemon(t: TestContext, workspaceRoot: string, token: string): Promise<string> {
  const server = createServer((req, res) => {
    const ok = req.url === '/v1/health' && req.headers[AUTHORIZATION_HEADER] === `Bearer ${token}`;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        ok
          ? { ok: true, pid: process.pid, workspace: workspaceRoot, version: 'test' }
          : { error: 'no', code: 'TCH_ERR_AUTH_INVALID' },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('findDaemonAt: a daemon named by daemon.json that answers for this workspace with this token', async (t) => {
  const root = workspace(t);
  assert.equal(await findDaemonAt(root), undefined, 'no daemon.json');
  const url = await fakeDaemon(t, root, 'secret');
  writeFileSync(
    join(root, DAEMON_DIR, DAEMON_INFO_FILE),
    JSON.stringify({ pid: process.pid, url, startedAt: new Date().toISOString(), version: 'test' }),
  );
  assert.equal(await findDaemonAt(root), undefined, 'no token file');
  writeFileSync(join(root, DAEMON_DIR, DAEMON_TOKEN_FILE), 'wrong\n');
  assert.equal(await findDaemonAt(root), undefined, 'a wrong token');
  writeFileSync(join(root, DAEMON_DIR, DAEMON_TOKEN_FILE), 'secret\n');
  const found = await findDaemonAt(root);
  assert.ok(found instanceof DaemonClient);
  assert.equal(found.url, url);
  assert.equal((await found.health()).workspace, root);
  const other = workspace(t);
  writeFileSync(
    join(other, DAEMON_DIR, DAEMON_INFO_FILE),
    JSON.stringify({ pid: process.pid, url, startedAt: '', version: 'test' }),
  );
  writeFileSync(join(other, DAEMON_DIR, DAEMON_TOKEN_FILE), 'secret\n');
  assert.equal(await findDaemonAt(other), undefined, 'a daemon of another workspace');
  await assert.rejects(findDaemonAt(''), TypeError);
});
