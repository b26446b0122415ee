import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import {
  KSERVE_DATATYPES,
  KSERVE_ELEMENT_SIZE,
  PROTO_LOADER_OPTIONS,
  PROTO_ROOT,
  formatClassification,
  grpcProtoFiles,
  isKServeDatatype,
  isTachyonError,
  parseClassification,
} from '../src/index.js';

test('formatClassification and parseClassification round-trip, a label with colons included', () => {
  const entries = [
    { score: 0.8125, index: 281, label: 'tabby, tabby cat' },
    { score: 0.1234567890123, index: 0, label: 'a: b: c' },
    { score: 1e-9, index: 999, label: '' },
    { score: -3.5, index: 7, label: ':leading:colon:' },
  ];
  for (const entry of entries) {
    const text = formatClassification(entry);
    assert.deepEqual(parseClassification(text), entry, text);
  }
  assert.equal(formatClassification({ score: 0.5, index: 12, label: 'a: b, c' }), '0.5:12:a: b, c');
  assert.deepEqual(parseClassification('0.5:12:a: b, c'), { score: 0.5, index: 12, label: 'a: b, c' });
});

test('parseClassification refuses a text that is not "score:index:label"', () => {
  for (const bad of ['', 'cat', '0.5:12', 'x:12:cat', '0.5:1.5:cat', '0.5::cat', ':12:cat', '0.5:-1:cat']) {
    assert.throws(
      () => parseClassification(bad),
      (e: unknown) => isTachyonError(e) && e.code === 'TCH_ERR_CLIENT_BAD_RESPONSE',
      JSON.stringify(bad),
    );
  }
});

test('KServe datatypes: every fixed-size one has its element size, BYTES is variable', () => {
  assert.equal(KSERVE_DATATYPES.length, 13);
  assert.equal(KSERVE_ELEMENT_SIZE.FP32, 4);
  assert.ok(
    isKServeDatatype('BYTES') &&
      isKServeDatatype('FP16') &&
      !isKServeDatatype('FLOAT') &&
      !isKServeDatatype('toString'),
  );
});

test('the proto loading options point at the published .proto files', () => {
  assert.deepEqual(PROTO_LOADER_OPTIONS.includeDirs, [PROTO_ROOT]);
  const files = grpcProtoFiles();
  assert.ok(existsSync(files.kserve) && existsSync(files.tfServing));
  assert.ok(Object.isFrozen(PROTO_LOADER_OPTIONS));
});
