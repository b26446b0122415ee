import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES, GRPC_STATUS_BY_KIND, TachyonError, type ErrorCode } from '@tachyon-serve/protocol';
import { toGrpcError } from '../../src/grpc/grpc-errors.js';

test('every error code maps to the gRPC status of its kind, with tachyon-code and x-request-id trailers', () => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const mapped = toGrpcError(new TachyonError(code, `Something about "${code}".`), 'rid-1');
    assert.equal(mapped.code, GRPC_STATUS_BY_KIND[ERROR_CODES[code].kind], code);
    assert.equal(mapped.details, `Something about "${code}".`);
    assert.deepEqual(mapped.metadata.get('tachyon-code'), [code]);
    assert.deepEqual(mapped.metadata.get('x-request-id'), ['rid-1']);
    assert.deepEqual(mapped.metadata.get('tachyon-details-bin'), []);
  }
});

test('details travel as UTF-8 JSON in tachyon-details-bin', () => {
  const mapped = toGrpcError(
    new TachyonError('TCH_ERR_MODEL_NOT_FOUND', 'No model "é".', { details: { model: 'é', served: ['a'] } }),
    'rid-2',
  );
  assert.deepEqual(JSON.parse((mapped.metadata.get('tachyon-details-bin')[0] as Buffer).toString('utf8')), {
    model: 'é',
    served: ['a'],
  });
});

test('anything else is INTERNAL with a fixed message that never repeats the error text', () => {
  const mapped = toGrpcError(new Error('ENOENT /secret/path/key.pem'), 'rid-3');
  assert.equal(mapped.code, 13);
  assert.ok(!mapped.details.includes('secret'));
  assert.match(mapped.details, /rid-3/);
  assert.deepEqual(mapped.metadata.get('tachyon-code'), []);
});
