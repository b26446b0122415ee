import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPostgresUrl, redactPostgresUrl } from '../../src/registry/postgres/connection-url.js';

test('redactPostgresUrl drops the password of the user info and of a password= parameter, and keeps the rest', () => {
  const cases: [string, string][] = [
    ['postgres://u:p@h:5432/db?sslmode=require', 'postgres://u@h:5432/db?sslmode=require'],
    ['postgresql://u:p%40x@db.internal/db', 'postgresql://u@db.internal/db'],
    ['postgres://u:p@ss@h/db', 'postgres://u@h/db'],
    ['postgres://:secret@h/db', 'postgres://h/db'],
    ['postgres://h/db?password=x&user=u', 'postgres://h/db?user=u'],
    [
      'postgres://u@/db?host=%2Frun%2Fpostgresql&PASSWORD=x&port=5433',
      'postgres://u@/db?host=%2Frun%2Fpostgresql&port=5433',
    ],
    ['postgres://u@h/db', 'postgres://u@h/db'],
    ['postgres://h', 'postgres://h'],
  ];
  for (const [url, expected] of cases) assert.equal(redactPostgresUrl(url), expected, url);
});

test('isPostgresUrl: postgres:// and postgresql:// in any case; file paths are not', () => {
  assert.equal(isPostgresUrl('postgres://h/db'), true);
  assert.equal(isPostgresUrl('POSTGRESQL://h/db'), true);
  assert.equal(isPostgresUrl('/srv/ws/registry.db'), false);
  assert.equal(isPostgresUrl('registry.db'), false);
  assert.equal(isPostgresUrl('mysql://h/db'), false);
});
