// Tiny generated artifacts and helpers shared by the registry tests (SQLite here, PostgreSQL in its own tests).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { createServiceZip } from '../../src/service-def/index.js';
import { exampleFiles, exampleManifest } from '@tachyon-serve/test-support/service-zip';

const { onnx } = onnxProto;

/** A valid one-node ONNX model (y = Identity(x)); `variant` changes the graph name, so the bytes differ. */
export function writeTinyOnnx(path: string, variant = 'tiny'): string {
  const info = (name: string) => ({ name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } } });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'tachyon-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: variant,
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [info('x')],
      output: [info('y')],
    },
  });
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  return path;
}

/** A valid service-definition zip (the documented example manifest with tiny stand-in files). */
export async function writeTinyServiceZip(path: string): Promise<string> {
  const { files: _files, ...draft } = exampleManifest();
  await createServiceZip(path, draft, exampleFiles());
  return path;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
export function listFiles(dir: string): string[] {
  try {
    return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name).slice(dir.length + 1))
      .sort();
  } catch {
    return [];
  }
}

/** The pid of a process that has exited (for journal entries of a dead owner). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return r.pid!;
}
