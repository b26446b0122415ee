import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { BUILTIN_DEFAULT_MODEL, findWorkspaceConfig, loadWorkspaceConfig } from '../../src/index.js';

test('tachyon.json is found from a subfolder upward; paths are relative to its folder; the result is frozen', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tachyon-ws-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(
    join(root, 'tachyon.json'),
    JSON.stringify({ name: 'ws', modelPath: ['mirror', '/abs'], defaultModel: 'mobilenetv2-int8' }),
  );
  mkdirSync(join(root, 'a', 'b'), { recursive: true });
  const file = findWorkspaceConfig(join(root, 'a', 'b'));
  assert.equal(file, join(root, 'tachyon.json'));
  const config = loadWorkspaceConfig(file);
  assert.deepEqual(config.modelPath, [join(root, 'mirror'), '/abs']);
  assert.equal(config.defaultModel, 'mobilenetv2-int8');
  assert.equal(config.registry, join(root, 'registry.db'));
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.modelPath));
  assert.deepEqual(loadWorkspaceConfig(root), config, 'the folder works as well as the file');
});

test('no tachyon.json -> built-in defaults; a broken one -> every issue at once', (t) => {
  assert.equal(loadWorkspaceConfig(undefined).defaultModel, BUILTIN_DEFAULT_MODEL);
  const root = mkdtempSync(join(tmpdir(), 'tachyon-ws-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'tachyon.json'), JSON.stringify({ modelPath: 'not-a-list', name: 3 }));
  assert.throws(
    () => loadWorkspaceConfig(root),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID') && (e.details?.['issues'] as string[]).length === 2,
  );
  writeFileSync(join(root, 'tachyon.json'), '{ not json');
  assert.throws(
    () => loadWorkspaceConfig(root),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'),
  );
  assert.throws(
    () => loadWorkspaceConfig(join(root, 'nope')),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_IO_NOT_FOUND'),
  );
});
