import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RotatingLog } from '../../src/controller/rotating-log.js';
import { tempDir } from '@tachyon-serve/test-support';

test('rotates by size into .1 and .2, drops the oldest, keeps every file under the limit', (t) => {
  const file = join(tempDir(t, 'tachyon-log-'), 'logs', 'server.log');
  const log = new RotatingLog(file, { maxBytes: 100, files: 3 });
  t.after(() => log.close());
  for (let i = 0; i < 40; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(10)}\n`); // 19 bytes each
  assert.ok(existsSync(file) && existsSync(`${file}.1`) && existsSync(`${file}.2`));
  assert.equal(existsSync(`${file}.3`), false, 'three files in all');
  for (const f of [file, `${file}.1`, `${file}.2`]) assert.ok(statSync(f).size <= 100, f);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(readFileSync(file, 'utf8'), /line 39/);
  assert.doesNotMatch(readFileSync(`${file}.2`, 'utf8'), /line 00/, 'the oldest lines were dropped');
  const tail = log.tail(7);
  assert.deepEqual(
    tail,
    Array.from({ length: 7 }, (_, k) => `line ${String(33 + k).padStart(2, '0')} ${'x'.repeat(10)}`),
    'across the current and rotated files',
  );
  assert.deepEqual(log.tail(0), []);
});

test('appends to an existing file and reads a tail without writing', (t) => {
  const file = join(tempDir(t, 'tachyon-log-'), 'server.log');
  const first = new RotatingLog(file);
  first.write('a\nb\n');
  first.close();
  const second = new RotatingLog(file);
  second.write('c\n');
  second.close();
  assert.deepEqual(new RotatingLog(file).tail(10), ['a', 'b', 'c']);
  assert.deepEqual(new RotatingLog(join(tempDir(t, 'tachyon-log-'), 'none.log')).tail(5), []);
  assert.throws(() => new RotatingLog(file, { maxBytes: 0 }), RangeError);
});
