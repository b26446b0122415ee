import { SCHEDULER_DEFAULTS } from '@tachyon-serve/core';
import { MODEL_CONTROL_DEFAULTS } from '@tachyon-serve/core';
import { METRICS_DEFAULTS, TRACING_DEFAULTS } from '../observability/observability-options.js';
import type { ServeFileOptions } from './serve-config-file.js';
import { SERVE_CONFIG_KEYS } from './serve-config-schema.js';
import { SERVE_DEFAULTS } from './serve-options.js';

/** Where an option's value came from, highest precedence first. */
export type ServeLayerName = 'flag' | 'env' | 'file' | 'workspace' | 'default';
export const SERVE_LAYER_NAMES: readonly ServeLayerName[] = Object.freeze([
  'flag',
  'env',
  'file',
  'workspace',
  'default',
]);

export interface ServeLayer {
  readonly name: ServeLayerName;
  readonly options: ServeFileOptions;
}

export interface MergedServeOptions {
  /** The effective options, keys in schema order. */
  readonly options: ServeFileOptions;
  /** Option -> the layer that set it; grouped options per field (`scheduler.maxBatchSize`), the others whole (`tls`, `models`). */
  readonly sources: Readonly<Record<string, ServeLayerName>>;
}

/** concurrency is left out (not even as `undefined`, which a spread would copy): its default is `workers`. */
function withoutConcurrency({
  concurrency: _derived,
  ...rest
}: typeof SCHEDULER_DEFAULTS): Omit<typeof SCHEDULER_DEFAULTS, 'concurrency'> {
  return Object.freeze(rest);
}

/** Options merged field by field: a flag for one scheduler field keeps the file's other scheduler fields. */
const GROUPS: ReadonlySet<string> = new Set(['scheduler', 'metrics', 'tracing', 'modelControl']);

/**
 * Every option at its built-in default (`models` aside: the CLI's default model comes from tachyon.json), so that the
 * merged result shows the value in force for each. Options without a fixed default (keysFile, tls, workspace,
 * tracing.otlpEndpoint, modelControl.memoryBudgetBytes, scheduler.concurrency) are absent.
 */
export const SERVE_BUILTIN_OPTIONS: ServeFileOptions = Object.freeze({
  ...SERVE_DEFAULTS,
  noAuth: false,
  insecure: false,
  cors: Object.freeze([]) as readonly string[],
  scheduler: withoutConcurrency(SCHEDULER_DEFAULTS),
  metrics: METRICS_DEFAULTS,
  tracing: TRACING_DEFAULTS,
  modelControl: MODEL_CONTROL_DEFAULTS,
  logLevel: 'info',
  modelPath: Object.freeze([]) as readonly string[],
});

/**
 * The one precedence rule: for each option the value of the first layer (in the order given, highest first:
 * flag > env > file > workspace > default) that sets it. `undefined` means "not set". Pure: layers are not modified.
 */
export function mergeServeLayers(layers: readonly ServeLayer[]): MergedServeOptions {
  if (!Array.isArray(layers)) throw new TypeError('layers: expected an array of { name, options }.');
  const options: Record<string, unknown> = {};
  const sources: Record<string, ServeLayerName> = {};
  for (const [i, layer] of layers.entries()) {
    if (!SERVE_LAYER_NAMES.includes(layer?.name))
      throw new TypeError(`layers[${i}].name: expected one of ${SERVE_LAYER_NAMES.join(', ')}.`);
    if (typeof layer.options !== 'object' || layer.options === null)
      throw new TypeError(`layers[${i}].options: expected an object.`);
    for (const [key, value] of Object.entries(layer.options)) {
      if (value === undefined) continue;
      if (GROUPS.has(key) && typeof value === 'object' && value !== null) {
        const group = (options[key] ??= {}) as Record<string, unknown>;
        for (const [field, fieldValue] of Object.entries(value)) {
          if (fieldValue === undefined || `${key}.${field}` in sources) continue;
          group[field] = fieldValue;
          sources[`${key}.${field}`] = layer.name;
        }
      } else if (!(key in sources)) {
        options[key] = value;
        sources[key] = layer.name;
      }
    }
  }
  return Object.freeze({
    options: inSchemaOrder(options) as ServeFileOptions,
    sources: Object.freeze(inSchemaOrder(sources) as Record<string, ServeLayerName>),
  });
}

/** Schema keys first in schema order (grouped fields under their group), anything else after. */
function inSchemaOrder<T>(record: Record<string, T>): Record<string, T> {
  const rank = (key: string) => {
    const i = SERVE_CONFIG_KEYS.indexOf(key.split('.')[0]!);
    return i < 0 ? SERVE_CONFIG_KEYS.length : i;
  };
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => rank(a) - rank(b)));
}
