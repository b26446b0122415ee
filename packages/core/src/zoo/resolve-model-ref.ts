import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';
import { zooEntry } from './catalog.js';
import type { ModelSources } from './model-sources.js';
import { resolveZooModel, type ModelSourceKind } from './resolve-model.js';
import type { ZooEntry } from './zoo-entry.js';

export interface ResolvedModelRef {
  path: string;
  /** The catalog entry, or undefined for a plain .onnx file. */
  entry: ZooEntry | undefined;
  source: ModelSourceKind | 'file';
}

/** A model reference is a zoo id (`mobilenetv2-int8`) or a path to an .onnx file. */
export function isModelFileRef(ref: string): boolean {
  return ref.endsWith('.onnx') || ref.includes('/') || ref.includes('\\');
}

export async function resolveModelRef(ref: string, sources: ModelSources): Promise<ResolvedModelRef> {
  if (!isModelFileRef(ref)) {
    const entry = zooEntry(ref);
    const resolved = await resolveZooModel(entry, sources);
    return { ...resolved, entry };
  }
  const path = resolve(ref);
  if (!existsSync(path)) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Model file "${ref}" does not exist.`, { details: { path } });
  }
  return { path, entry: undefined, source: 'file' };
}
