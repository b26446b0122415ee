import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES, ERROR_KINDS, GRPC_STATUS_BY_KIND, HTTP_STATUS_BY_KIND, TachyonError } from '../src/index.js';

const docsPath = new URL('../../../../docs/errors.md', import.meta.url);

test('every code in the table is documented in docs/errors.md with its kind, and nothing else is', () => {
  const docs = readFileSync(docsPath, 'utf8');
  const documented = new Map<string, string>();
  for (const match of docs.matchAll(/^\|\s*`(TCH_ERR_[A-Z0-9_]+)`\s*\|\s*([A-Z_]+)\s*\|/gm)) {
    documented.set(match[1]!, match[2]!);
  }
  const table = new Map(Object.entries(ERROR_CODES).map(([code, row]) => [code, row.kind as string]));
  assert.deepEqual([...documented.keys()].sort(), [...table.keys()].sort());
  for (const [code, kind] of table) assert.equal(documented.get(code), kind, `kind of ${code} in docs/errors.md`);
});

test('codes follow TCH_ERR_<AREA>_<DETAIL> and every kind has an HTTP and a gRPC status', () => {
  for (const code of Object.keys(ERROR_CODES)) assert.match(code, /^TCH_ERR_[A-Z0-9]+_[A-Z0-9_]+$/);
  for (const kind of ERROR_KINDS) {
    assert.ok(HTTP_STATUS_BY_KIND[kind] >= 400, kind);
    assert.ok(Number.isInteger(GRPC_STATUS_BY_KIND[kind]) && GRPC_STATUS_BY_KIND[kind] > 0, kind);
  }
});

test('TachyonError takes its kind from the table and round-trips through JSON', () => {
  const err = new TachyonError('TCH_ERR_ZOO_UNKNOWN_MODEL', 'Model "nope" is not in the zoo.', {
    details: { id: 'nope' },
  });
  assert.equal(err.kind, 'NOT_FOUND');
  assert.equal(err.httpStatus, 404);
  assert.equal(err.grpcStatus, 5);
  const back = TachyonError.fromJSON(JSON.parse(JSON.stringify(err)));
  assert.equal(back.code, err.code);
  assert.equal(back.message, err.message);
  assert.deepEqual(back.details, { id: 'nope' });
});
