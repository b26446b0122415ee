import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Tfjs from '@tensorflow/tfjs';

/** The TensorFlow.js module (`@tensorflow/tfjs`), loaded on first use so importing core stays cheap. */
export type TfjsModule = typeof Tfjs;

/** The TensorFlow.js backend in use: 'wasm' (tfjs-backend-wasm, SIMD when the CPU has it) or the pure-JS 'cpu'. */
export type TfjsBackendName = 'wasm' | 'cpu';

export interface TfjsRuntime {
  readonly tf: TfjsModule;
  readonly backend: TfjsBackendName;
  /** Why 'wasm' could not be used, when `backend` is 'cpu'. */
  readonly fallbackReason: string | undefined;
}

let runtime: Promise<TfjsRuntime> | undefined;

/**
 * Loads TensorFlow.js once per process and picks its backend: 'wasm' (the .wasm binaries are read from the
 * tfjs-backend-wasm package folder on disk; no network), else 'cpu'. tfjs-node is not used (it does not install
 * everywhere). Every later call returns the same runtime.
 */
export function createTfjsRuntime(): Promise<TfjsRuntime> {
  runtime ??= initialize();
  return runtime;
}

async function initialize(): Promise<TfjsRuntime> {
  const tf = (await import('@tensorflow/tfjs')) as TfjsModule;
  let fallbackReason: string;
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistFolder());
    // setBackend resolves false (tfjs logs the cause with console.warn) instead of throwing.
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return Object.freeze({ tf, backend: 'wasm', fallbackReason: undefined });
    }
    fallbackReason = 'the wasm backend failed to initialize';
  } catch (error) {
    fallbackReason = error instanceof Error ? error.message : String(error);
  }
  if (!(await tf.setBackend('cpu')))
    throw new Error('TensorFlow.js: neither the wasm nor the cpu backend could initialize.');
  await tf.ready();
  return Object.freeze({ tf, backend: 'cpu', fallbackReason });
}

/** `<tfjs-backend-wasm>/dist/` as a path ending in a separator, which is what setWasmPaths expects in Node. */
function wasmDistFolder(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return `${join(dirname(pkg), 'dist')}/`;
}
