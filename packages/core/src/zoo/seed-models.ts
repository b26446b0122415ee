import type { ZooEntry } from './zoo-entry.js';
export const SEED_MODELS: readonly ZooEntry[] = [];
