// One controller per registry: the lease a deployment daemon takes (PostgreSQL advisory lock on its own connection,
// a lock file for SQLite), on a real PostgreSQL server that the test stops and starts again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { acquireRegistryLease, type LeaseEvent } from '../../src/index.js';
import { usePostgresServer } from '@tachyon-serve/test-support/postgres';

const pgServer = usePostgresServer();

function events(): {
  list: LeaseEvent[];
  next(type: LeaseEvent['type'], timeoutMs?: number): Promise<LeaseEvent>;
  push(e: LeaseEvent): void;
} {
  const list: LeaseEvent[] = [];
  const waiters: Array<{ type: string; resolve: (e: LeaseEvent) => void }> = [];
  return {
    list,
    push(e) {
      list.push(e);
      for (const w of waiters.splice(0)) w.type === e.type ? w.resolve(e) : waiters.push(w);
    },
    next(type, timeoutMs = 20_000) {
      const seen = list.find((e) => e.type === type);
      if (seen !== undefined) {
        list.splice(list.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no "${type}" lease event within ${timeoutMs} ms (got ${JSON.stringify(list)})`)),
          timeoutMs,
        );
        waiters.push({ type, resolve: (e) => (clearTimeout(timer), list.splice(list.indexOf(e), 1), resolve(e)) });
      });
    },
  };
}

test("SQLite: a lock file next to the database; a second holder is refused by name; a dead holder's lock is taken over", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-lease-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'registry.db');
  const a = await acquireRegistryLease(db, { holder: 'daemon-a' });
  await assert.rejects(
    acquireRegistryLease(db, { holder: 'daemon-b' }),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_DAEMON_LEASE_HELD') &&
      e.details?.['holder'] === 'daemon-a' &&
      /"daemon-a"/.test(e.message),
  );
  await a.release();
  const b = await acquireRegistryLease(db, { holder: 'daemon-b' });
  await b.release();
  // A crashed daemon (pid gone) on this host leaves its file behind: the next one takes over.
  writeFileSync(`${db}.controller.lock`, JSON.stringify({ holder: 'crashed', host: hostname(), pid: 2 ** 22 + 7 }));
  const c = await acquireRegistryLease(db, { holder: 'daemon-c' });
  assert.equal(c.held, true);
  await c.release();
});

test('PostgreSQL: refused naming the holder; lost while the server is down and retaken when it returns; taken by another -> "taken"', async (t) => {
  const server = pgServer();
  const url = await server.createDatabase('lease');
  const seenA = events();
  const a = await acquireRegistryLease(url, { holder: 'host-a:101', checkIntervalMs: 200, onEvent: seenA.push });
  t.after(() => a.release());
  assert.equal(a.held, true);

  await assert.rejects(
    acquireRegistryLease(url, { holder: 'host-b:202' }),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_DAEMON_LEASE_HELD') &&
      e.details?.['holder'] === 'host-a:101' &&
      /controls registry/.test(e.message),
  );

  // The database goes away: the lease is lost (the lock died with the connection).
  await server.pause();
  const lost = await seenA.next('lost');
  assert.equal(lost.type, 'lost');
  assert.equal(a.held, false);
  // It stays lost while the server is down (retries fail quietly).
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal(a.held, false);
  await server.resume();
  await seenA.next('regained');
  assert.equal(a.held, true);
  await assert.rejects(
    acquireRegistryLease(url, { holder: 'host-b:202' }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_DAEMON_LEASE_HELD'),
    'held again',
  );

  // A slow holder: down, and while it waits to retry, another daemon takes the lease.
  const seenSlow = events();
  await a.release();
  const slow = await acquireRegistryLease(url, { holder: 'host-s:303', checkIntervalMs: 3000, onEvent: seenSlow.push });
  t.after(() => slow.release());
  await server.pause();
  await seenSlow.next('lost');
  await server.resume();
  const b = await acquireRegistryLease(url, { holder: 'host-b:202' });
  t.after(() => b.release());
  const taken = await seenSlow.next('taken', 15_000);
  assert.ok(
    taken.type === 'taken' && taken.holder === 'host-b:202' && isTachyonError(taken.error, 'TCH_ERR_DAEMON_LEASE_HELD'),
  );
  assert.equal(slow.held, false);
  assert.equal(b.held, true);
});
