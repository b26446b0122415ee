import { TachyonError } from '@tachyon-serve/protocol';
import { deepFreeze } from '../config/workspace-config.js';
import { LOCAL_MODELS } from './local-models.js';
import { SEED_MODELS } from './seed-models.js';
import type { ZooEntry } from './zoo-entry.js';

/** The frozen zoo catalog: the official seed models, then the local ones of ../shared/models. */
export const ZOO_CATALOG: readonly ZooEntry[] = deepFreeze([...SEED_MODELS, ...LOCAL_MODELS]);

/** `featurizerStage('resnet50', { dtype: 'int8' })` means `resnet50-int8`. */
export function zooId(family: string, dtype: 'fp32' | 'int8'): string {
  return `${family}-${dtype}`;
}

export function isZooId(id: string): boolean {
  return ZOO_CATALOG.some((e) => e.id === id);
}

export function zooEntry(id: string): ZooEntry {
  const entry = ZOO_CATALOG.find((e) => e.id === id);
  if (!entry) {
    throw new TachyonError('TCH_ERR_ZOO_UNKNOWN_MODEL', `Model "${id}" is not in the zoo catalog.`, {
      details: { id, known: ZOO_CATALOG.map((e) => e.id) },
    });
  }
  return entry;
}
