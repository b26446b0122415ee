import { EXECUTION_PROVIDERS } from '../backends/session-options.js';
import { SERVICE_SCHEMA_VERSION } from './manifest.js';

/** Stage names: a letter, then letters, digits, '_', '-' or '.'; at most 64 characters. */
export const STAGE_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_.-]{0,63}$';
/**
 * File paths inside the zip: relative POSIX paths of portable segments (letters, digits, '_', '-', '.', '+', not
 * starting with '.'), so no '..', no '.', no leading '/', no drive letter, no backslash, no empty segment.
 */
export const FILE_PATH_PATTERN = '^(?:[A-Za-z0-9_-][A-Za-z0-9_.+-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.+-]*$';
/** Lower-case hex sha256. */
export const SHA256_PATTERN = '^[0-9a-f]{64}$';
/** Port and pipeline tensor names: any printable text (ONNX names hold '/', ':' and '.'); no control characters. */
export const TENSOR_NAME_PATTERN = '^[^\\u0000-\\u001f\\u007f]*$';
/** Zoo ids `<family>-<dtype>`, e.g. `resnet50-int8`, `squeezenet1.1-fp32`. */
export const ZOO_ID_PATTERN = '^[a-z0-9][a-z0-9.]*-[a-z0-9]+$';
/** ISO 8601 UTC-or-offset timestamp, e.g. `2026-01-31T12:00:00Z` or `2026-01-31T12:00:00.123+01:00`. */
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:Z|[+-]\\d{2}:\\d{2})$';

/** Human words for each pattern, used in issue messages. */
export const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  [STAGE_NAME_PATTERN]: "a stage name (a letter, then letters, digits, '_', '-' or '.'; at most 64 characters)",
  [FILE_PATH_PATTERN]:
    "a relative POSIX path of letters, digits, '_', '-', '.' and '+' (no '..' or '.' segment, no leading '/' or '.', no backslash, no drive letter)",
  [SHA256_PATTERN]: 'a sha256 of 64 lower-case hex digits',
  [TENSOR_NAME_PATTERN]: 'a name without control characters',
  [ZOO_ID_PATTERN]: "a zoo id '<family>-<dtype>' such as 'resnet50-int8'",
  [TIMESTAMP_PATTERN]: "an ISO 8601 timestamp with a time zone, e.g. '2026-01-31T12:00:00Z'",
});

const stageName = { type: 'string', pattern: STAGE_NAME_PATTERN } as const;
const filePath = { type: 'string', maxLength: 255, pattern: FILE_PATH_PATTERN } as const;
const tensorName = { type: 'string', minLength: 1, maxLength: 256, pattern: TENSOR_NAME_PATTERN } as const;
/** Port name -> pipeline tensor name. */
const portMap = {
  type: 'object',
  propertyNames: { type: 'string', minLength: 1, maxLength: 256, pattern: TENSOR_NAME_PATTERN },
  additionalProperties: tensorName,
} as const;
const portMapAtLeastOne = { ...portMap, minProperties: 1 } as const;
/** A port map with exactly the one port `port`. */
const singlePort = (port: string) =>
  ({ type: 'object', required: [port], properties: { [port]: tensorName }, additionalProperties: false }) as const;
const executionProviders = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { enum: [...EXECUTION_PROVIDERS] },
} as const;
const triple = { type: 'array', minItems: 3, maxItems: 3, items: { type: 'number' } } as const;

/** PreprocessOptions (core/image); `compilePreprocess` then checks ranges and cross-field rules. */
const preprocess = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resize: { enum: ['short-side-crop', 'stretch'] },
    resizeShortSide: { type: 'integer', minimum: 1 },
    size: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'integer', minimum: 1 } },
    interpolation: { enum: ['antialias', 'bilinear'] },
    channelOrder: { enum: ['RGB', 'BGR'] },
    scale: { type: 'number', exclusiveMinimum: 0 },
    mean: triple,
    std: triple,
    layout: { enum: ['NCHW', 'NHWC'] },
    maxInputBytes: { type: 'integer', minimum: 1 },
    maxPixels: { type: 'integer', minimum: 1 },
  },
} as const;

const stageCommon = { name: stageName, description: { type: 'string', maxLength: 4096 } } as const;

const imageStage = {
  type: 'object',
  required: ['kind', 'name', 'inputs', 'outputs', 'preprocess'],
  additionalProperties: false,
  properties: {
    kind: { const: 'image' },
    ...stageCommon,
    inputs: singlePort('images'),
    outputs: singlePort('tensor'),
    preprocess,
  },
} as const;

const onnxStage = {
  type: 'object',
  required: ['kind', 'name', 'inputs', 'outputs', 'file'],
  additionalProperties: false,
  properties: {
    kind: { const: 'onnx' },
    ...stageCommon,
    inputs: portMapAtLeastOne,
    outputs: portMapAtLeastOne,
    file: filePath,
    executionProviders,
  },
} as const;

/** FeaturizerQuantization: optional, so zips written before it existed stay valid. */
const quantization = {
  type: 'object',
  required: ['tool', 'method', 'samples', 'perChannel', 'activationType'],
  additionalProperties: false,
  properties: {
    tool: { const: 'tachyon' },
    method: { enum: ['minmax', 'entropy', 'percentile'] },
    samples: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
    perChannel: { type: 'boolean' },
    activationType: { enum: ['uint8', 'int8'] },
    percentile: { type: 'number', exclusiveMinimum: 50, maximum: 100 },
  },
} as const;

const featurizerStage = {
  type: 'object',
  required: ['kind', 'name', 'inputs', 'outputs', 'model', 'featureTensor', 'file'],
  additionalProperties: false,
  properties: {
    kind: { const: 'featurizer' },
    ...stageCommon,
    inputs: portMapAtLeastOne,
    outputs: portMapAtLeastOne,
    model: { type: 'string', maxLength: 64, pattern: ZOO_ID_PATTERN },
    featureTensor: tensorName,
    file: filePath,
    executionProviders,
    quantization,
  },
} as const;

const kerasStage = {
  type: 'object',
  required: ['kind', 'name', 'inputs', 'outputs', 'file'],
  additionalProperties: false,
  properties: {
    kind: { const: 'keras' },
    ...stageCommon,
    inputs: singlePort('input'),
    outputs: singlePort('output'),
    file: filePath,
  },
} as const;

const classifierStage = {
  type: 'object',
  required: ['kind', 'name', 'inputs', 'outputs', 'outputKind', 'topK', 'labels'],
  additionalProperties: false,
  properties: {
    kind: { const: 'classifier' },
    ...stageCommon,
    inputs: singlePort('scores'),
    outputs: { type: 'object', maxProperties: 0 },
    outputKind: { enum: ['logits', 'probabilities'] },
    topK: { type: 'integer', minimum: 1, maximum: 1000 },
    labels: filePath,
  },
} as const;

/**
 * JSON Schema (draft-07, as ajv 8 reads it by default) of service.json, schemaVersion 1: the first validation pass.
 * Stages are discriminated on `kind`. Cross-stage rules (tensor wiring, files, order) are the second pass,
 * `validateManifestSemantics`. Published in docs/service-definition.md.
 */
export const SERVICE_MANIFEST_SCHEMA = {
  $id: 'https://tachyon.dev/schemas/service-definition/v1.json',
  title: 'tachyon service definition (service.json)',
  type: 'object',
  required: ['schemaVersion', 'name', 'createdWith', 'createdAt', 'stages', 'files'],
  additionalProperties: false,
  properties: {
    schemaVersion: { const: SERVICE_SCHEMA_VERSION },
    name: { type: 'string', minLength: 1, maxLength: 128, pattern: TENSOR_NAME_PATTERN },
    description: { type: 'string', maxLength: 4096 },
    createdWith: { type: 'string', minLength: 1, maxLength: 64, pattern: TENSOR_NAME_PATTERN },
    createdAt: { type: 'string', pattern: TIMESTAMP_PATTERN },
    stages: {
      type: 'array',
      minItems: 2,
      maxItems: 64,
      items: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { enum: ['image', 'onnx', 'featurizer', 'keras', 'classifier'] } },
        discriminator: { propertyName: 'kind' },
        oneOf: [imageStage, onnxStage, featurizerStage, kerasStage, classifierStage],
      },
    },
    files: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['path', 'sha256', 'size'],
        additionalProperties: false,
        properties: {
          path: filePath,
          sha256: { type: 'string', pattern: SHA256_PATTERN },
          size: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        },
      },
    },
  },
} as const;

/** The stage kinds, in the order of the schema's `oneOf`. */
export const STAGE_KINDS = ['image', 'onnx', 'featurizer', 'keras', 'classifier'] as const;
