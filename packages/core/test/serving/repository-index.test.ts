import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelVersionRecord } from '@tachyon-serve/core';
import { buildRepositoryIndex, type ModelEntry, type VersionSlot } from '../../src/serving/repository-index.js';

const slot = (version: string, state: VersionSlot['state']): VersionSlot => ({ version, state, bytes: 1, dir: '/x' });
const record = (name: string, version: number) => ({ name, version }) as ModelVersionRecord;

test('index: one row per version, the serving state wins, failures and unloaded registry versions are UNAVAILABLE', () => {
  const models = new Map<string, ModelEntry>([
    [
      'cls',
      {
        source: { kind: 'registry', name: 'classifier' },
        policy: undefined,
        scheduler: undefined,
        slots: [slot('2', 'LOADING'), slot('1', 'READY'), slot('1', 'LOADING')],
        failures: new Map(),
      },
    ],
    [
      'a-file',
      {
        source: { kind: 'model', ref: 'x.onnx' },
        policy: undefined,
        scheduler: undefined,
        slots: [slot('1', 'UNLOADING')],
        failures: new Map(),
      },
    ],
    [
      'broken',
      {
        source: { kind: 'model', ref: 'y.onnx' },
        policy: undefined,
        scheduler: undefined,
        slots: [],
        failures: new Map([['1', 'TCH_ERR_MODEL_LOAD_FAILED: bad']]),
      },
    ],
  ]);
  // "classifier" is served as "cls"; "a-file" is served from a file, which hides the registry model of that name.
  const registered = [
    record('classifier', 1),
    record('classifier', 2),
    record('classifier', 10),
    record('a-file', 1),
    record('other', 1),
  ];
  assert.deepEqual(buildRepositoryIndex(models, registered), [
    { name: 'a-file', version: '1', state: 'UNLOADING' },
    { name: 'broken', version: '1', state: 'UNAVAILABLE', reason: 'TCH_ERR_MODEL_LOAD_FAILED: bad' },
    { name: 'cls', version: '1', state: 'READY' },
    { name: 'cls', version: '2', state: 'LOADING' },
    { name: 'cls', version: '10', state: 'UNAVAILABLE', reason: 'not loaded' },
    { name: 'other', version: '1', state: 'UNAVAILABLE', reason: 'not loaded' },
  ]);
});
