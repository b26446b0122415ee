import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedModel } from '@tachyon-serve/test-support';

// Regression: creating an onnxruntime session inside a worker thread crashed (SIGSEGV) once the process argv was
// about 15 KB (a shell glob of image paths), with the default worker stack. The backend's workers now start with a
// 32 MB stack; this starts the runtime in a child process whose argv is 64 KB.
test('a session is created and run in a process whose argv is 64 KB', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tachyon-argv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const backendUrl = new URL('../../src/backends/onnxruntime-backend.js', import.meta.url).href;
  const script = `
    const { OnnxRuntimeBackend } = await import(${JSON.stringify(backendUrl)});
    const backend = new OnnxRuntimeBackend();
    const session = await backend.createSession(${JSON.stringify(sharedModel('mobilenetv2-int8-qdq.onnx'))});
    const out = await session.run({ input: { dtype: 'float32', dims: [1, 3, 224, 224], data: new Float32Array(3 * 224 * 224) } });
    console.log(JSON.stringify({ argvBytes: process.argv.join(' ').length, classes: out.logits.dims[1] }));
    await session.close();
    await backend.close();`;
  const filler = Array.from(
    { length: 1000 },
    (_, i) => `/data/imagenet/val/some-long-folder-name/ILSVRC2012_val_${String(i).padStart(8, '0')}.JPEG`,
  );
  // A script file, not --eval: the workers inherit execArgv, and --input-type would stop them.
  writeFileSync(join(dir, 'run.mjs'), script);
  const r = spawnSync(process.execPath, [join(dir, 'run.mjs'), ...filler], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null, `the child died with ${r.signal}`);
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout.trim()) as { argvBytes: number; classes: number };
  assert.ok(result.argvBytes >= 64 * 1024, `argv ${result.argvBytes} bytes`);
  assert.equal(result.classes, 1000);
});
