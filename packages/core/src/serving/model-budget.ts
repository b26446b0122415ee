import { stat } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { TachyonError } from '@tachyon-serve/protocol';
import { resolveModelRef } from '../zoo/resolve-model-ref.js';
import { type ModelSources } from '../zoo/model-sources.js';
import type { ModelControlConfig } from './model-control-options.js';
import type { ModelSource } from './served-model.js';

/** Share of the machine's memory that all loaded models may take when `memoryBudgetBytes` is not set. */
export const DEFAULT_MEMORY_SHARE = 0.8;

/** The budget in force: `memoryBudgetBytes`, or 80% of `os.totalmem()`. */
export function memoryBudget(config: ModelControlConfig): number {
  return config.memoryBudgetBytes ?? Math.floor(totalmem() * DEFAULT_MEMORY_SHARE);
}

/**
 * Estimated resident bytes of one loaded version: its artifact's size x (backend workers + 1). Every worker of the
 * shared pool holds its own copy of each session (weights plus onnxruntime's arena, about the file size), and the
 * main thread holds the parsed service definition and the bytes while the workers load them. Deliberately rough:
 * it orders models by cost and keeps a server from loading itself into swap; it is not a measurement.
 */
export function estimateBytes(artifactBytes: number, workers: number): number {
  return artifactBytes * (workers + 1);
}

/** The artifact size of a file-backed source (the .onnx file, or the zip of a service definition). */
export async function sourceBytes(source: ModelSource, sources: ModelSources): Promise<number> {
  if (source.kind === 'registry') throw new TypeError('source: resolve a registry source to its artifact first.');
  const path = source.kind === 'service-definition' ? source.path : (await resolveModelRef(source.ref, sources)).path;
  try {
    return (await stat(path)).size;
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Model file "${path}" does not exist or cannot be read.`, {
      details: { path },
      cause,
    });
  }
}

/** What is loaded (or loading, or still being released) right now. */
export interface BudgetUsage {
  bytes: number;
  versions: number;
}

/**
 * Refuses a load that would take the server past its memory budget or its count of loaded versions, before anything
 * is loaded (TCH_ERR_MODEL_BUDGET_EXCEEDED with what was needed and what was left).
 */
export function checkBudget(
  name: string,
  config: ModelControlConfig,
  usage: BudgetUsage,
  add: { bytes: number; versions: number },
): void {
  const budget = memoryBudget(config);
  const available = Math.max(0, budget - usage.bytes);
  if (add.bytes > available) {
    throw new TachyonError(
      'TCH_ERR_MODEL_BUDGET_EXCEEDED',
      `Loading model "${name}" needs an estimated ${add.bytes} bytes but only ${available} of the ${budget}-byte memory budget are left.`,
      { details: { model: name, needed: add.bytes, available, budget, loadedBytes: usage.bytes } },
    );
  }
  const slots = Math.max(0, config.maxLoadedVersions - usage.versions);
  if (add.versions > slots) {
    throw new TachyonError(
      'TCH_ERR_MODEL_BUDGET_EXCEEDED',
      `Loading model "${name}" needs ${add.versions} more loaded version(s) but only ${slots} of maxLoadedVersions=${config.maxLoadedVersions} are left.`,
      {
        details: {
          model: name,
          needed: add.versions,
          available: slots,
          maxLoadedVersions: config.maxLoadedVersions,
          loadedVersions: usage.versions,
        },
      },
    );
  }
}
