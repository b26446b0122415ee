import { TachyonError } from '@tachyon-serve/protocol';
import type { Backend } from './backend.js';
import { OnnxRuntimeBackend } from './onnxruntime-backend.js';
import type { WorkerPoolOptions } from './session-options.js';

/** Makes a backend; throws when it cannot run here (missing library, no device), and the next one is tried. */
export type BackendFactory = (options: WorkerPoolOptions) => Backend;

/** Names kept for onnxruntime and its execution providers: only core registers them. */
export const RESERVED_BACKEND_NAMES: readonly string[] = Object.freeze([
  'onnxruntime-cpu',
  'onnxruntime-cuda',
  'onnxruntime-tensorrt',
]);

const registry = new Map<string, { factory: BackendFactory; priority: number }>();

/**
 * Adds a runtime under `name` (onnxruntime's js/ packages register theirs the same way). Higher `priority` is tried
 * first by `createBackend()`. A name can be registered once; the reserved onnxruntime names only by core.
 */
export function registerBackend(
  name: string,
  factory: BackendFactory,
  priority: number,
  options: { reserved?: boolean } = {},
): void {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9.-]*$/.test(name))
    throw new TypeError(`name: expected a lower-case backend name, got ${JSON.stringify(name)}.`);
  if (typeof factory !== 'function') throw new TypeError('factory: expected a function returning a Backend.');
  if (!Number.isFinite(priority)) throw new RangeError(`priority: expected a finite number, got ${String(priority)}.`);
  if (RESERVED_BACKEND_NAMES.includes(name) && options.reserved !== true)
    throw new TypeError(`name: "${name}" is reserved for onnxruntime's own backends.`);
  if (registry.has(name)) throw new TypeError(`name: a backend "${name}" is already registered.`);
  registry.set(name, { factory, priority });
}

/** Removes a backend registered with registerBackend (tests, plugins being unloaded). */
export function unregisterBackend(name: string): boolean {
  if (RESERVED_BACKEND_NAMES.includes(name))
    throw new TypeError(`name: "${name}" is reserved for onnxruntime's own backends.`);
  return registry.delete(name);
}

/** The registered backends, highest priority first (ties: first registered first). */
export function listBackends(): { name: string; priority: number }[] {
  return [...registry.entries()]
    .map(([name, { priority }]) => ({ name, priority }))
    .sort((a, b) => b.priority - a.priority);
}

export interface CreateBackendOptions extends WorkerPoolOptions {
  /** Backends to try, in this order. @default every registered backend, by priority */
  backends?: readonly string[];
}

/**
 * The first backend that can be created: the named ones in order, else all by priority. Failures are aggregated:
 * TCH_ERR_BACKEND_UNAVAILABLE lists every backend tried and why it failed; an unknown name is TCH_ERR_BACKEND_NOT_FOUND.
 */
export function createBackend(options: CreateBackendOptions = {}): Backend {
  const { backends, ...pool } = options;
  const names = backends ?? listBackends().map((b) => b.name);
  const attempts: { backend: string; reason: string }[] = [];
  for (const name of names) {
    const entry = registry.get(name);
    if (!entry) {
      throw new TachyonError('TCH_ERR_BACKEND_NOT_FOUND', `No backend is registered as "${name}".`, {
        details: { backend: name, registered: listBackends().map((b) => b.name) },
      });
    }
    try {
      return entry.factory(pool);
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) throw error;
      attempts.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new TachyonError('TCH_ERR_BACKEND_UNAVAILABLE', `No backend could be created (${attempts.length} tried).`, {
    details: { attempts },
  });
}

// onnxruntime-node on the CPU: always available where tachyon installs. The CUDA and TensorRT names stay reserved for
// onnxruntime's GPU builds; today a session asks for those execution providers itself (SessionOptions.executionProviders).
registerBackend('onnxruntime-cpu', (options) => new OnnxRuntimeBackend(options), 100, { reserved: true });
