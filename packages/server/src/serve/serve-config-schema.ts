/**
 * JSON Schema (draft-07, as ajv 8 reads it by default) of the `tachyon serve --config FILE` file, published as
 * docs/serve-config.schema.json (a test keeps the two equal). It checks shapes, types and the ranges a schema states
 * naturally; `compileServeOptions` still does the semantic checks (ports differ, noAuth without keysFile, ...).
 */

/** pino's levels, `silent` included: what `logLevel` and TACHYON_SERVE_LOG_LEVEL accept. */
export const SERVE_LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
export type ServeLogLevel = (typeof SERVE_LOG_LEVELS)[number];

/** Model names as `compileServeOptions` accepts them. */
export const SERVE_MODEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';

const nonEmptyString = { type: 'string', minLength: 1 } as const;
const filePath = {
  type: 'string',
  minLength: 1,
  description: 'A file path; relative paths are relative to the folder of the file that names them.',
} as const;
const integer = (minimum: number, maximum?: number) =>
  ({ type: 'integer', minimum, ...(maximum === undefined ? {} : { maximum }) }) as const;
const port = { ...integer(0, 65535), description: '0 picks a free port.' } as const;

export const SERVE_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'tachyon serve --config FILE',
  description:
    'Options of `tachyon serve` (ServeOptions). Every key is optional; unknown keys are errors. Precedence per option: flag > environment > this file > tachyon.json "server" > built-in default.',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string', description: 'Ignored: lets an editor find this schema.' },
    models: {
      type: 'array',
      description:
        'The models to serve; `--model` replaces the whole list. Empty only with a workspace and model control (models loaded later).',
      items: { $ref: '#/definitions/servedModel' },
    },
    host: {
      ...nonEmptyString,
      description: 'Address to listen on; anything but loopback needs TLS and keys (or insecure).',
      default: '127.0.0.1',
    },
    httpPort: { ...port, default: 8000 },
    grpcPort: { ...port, default: 8001 },
    keysFile: {
      ...filePath,
      description: 'JSON {"primary", "secondary"}, re-read on SIGHUP; absent: keys are generated and printed once.',
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['certFile', 'keyFile'],
      description: 'PEM certificate chain and key for HTTPS and gRPC TLS, re-read on SIGHUP.',
      properties: { certFile: filePath, keyFile: filePath },
    },
    noAuth: { type: 'boolean', description: 'Accept requests without a key (loopback only).', default: false },
    insecure: { type: 'boolean', description: 'Allow plaintext on a non-loopback address.', default: false },
    workers: { ...integer(1, 256), description: 'Inference worker threads.', default: 1 },
    maxImages: { ...integer(1), description: 'Images per request.', default: 64 },
    bodyLimit: {
      ...integer(1024),
      description: 'Request body bytes (HTTP) and message bytes (gRPC).',
      default: 20971520,
    },
    cors: {
      type: 'array',
      items: nonEmptyString,
      description: 'Origins allowed by CORS ("*" = any); empty: CORS off.',
      default: [],
    },
    maxConnections: { ...integer(1), description: 'Open HTTP connections.', default: 1024 },
    drainTimeoutMs: { ...integer(0), description: 'How long a drain waits for in-flight requests.', default: 30000 },
    scheduler: { $ref: '#/definitions/scheduler' },
    metrics: {
      type: 'object',
      additionalProperties: false,
      description: 'Prometheus /metrics and the rolling history.',
      properties: {
        enabled: { type: 'boolean', default: true },
        historyBucketSeconds: { ...integer(1, 3600), default: 10 },
        historyBuckets: { ...integer(1, 100000), default: 360 },
      },
    },
    tracing: {
      type: 'object',
      additionalProperties: false,
      description: 'OpenTelemetry spans over OTLP/HTTP; off without otlpEndpoint.',
      properties: {
        otlpEndpoint: {
          type: 'string',
          pattern: '^https?://[^\\s]+$',
          description: 'e.g. http://127.0.0.1:4318/v1/traces',
        },
        serviceName: { ...nonEmptyString, default: 'tachyon' },
        sampleRatio: { type: 'number', minimum: 0, maximum: 1, default: 1 },
        sampler: {
          type: 'string',
          enum: [
            'always_on',
            'always_off',
            'traceidratio',
            'parentbased_always_on',
            'parentbased_always_off',
            'parentbased_traceidratio',
          ],
          default: 'parentbased_traceidratio',
          description: 'OpenTelemetry sampler name (as OTEL_TRACES_SAMPLER); the ratio is sampleRatio.',
        },
        headers: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Extra headers of each OTLP export request (as OTEL_EXPORTER_OTLP_HEADERS).',
        },
        resourceAttributes: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Resource attributes of every span (as OTEL_RESOURCE_ATTRIBUTES).',
        },
      },
    },
    modelControl: {
      type: 'object',
      additionalProperties: false,
      description: 'Loading and unloading models on the running server (admin key).',
      properties: {
        enabled: { type: 'boolean', default: true },
        loadTimeoutMs: { ...integer(1), default: 120000 },
        memoryBudgetBytes: { ...integer(1), description: 'Default: 80% of total memory.' },
        maxLoadedVersions: { ...integer(1), default: 32 },
      },
    },
    workspace: {
      ...filePath,
      description: 'Workspace folder (or its tachyon.json) whose registry `registry:NAME` sources read.',
    },
    logLevel: { type: 'string', enum: [...SERVE_LOG_LEVELS], default: 'info' },
    modelPath: { type: 'array', items: filePath, description: 'Mirror folders searched for zoo models.', default: [] },
  },
  definitions: {
    servedModel: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'source'],
      properties: {
        name: {
          type: 'string',
          pattern: SERVE_MODEL_NAME_PATTERN,
          description: 'The name clients use on every protocol.',
        },
        source: {
          type: ['string', 'object'],
          minLength: 1,
          description: 'Zoo id, .onnx file, service-definition .zip or registry:NAME; or a source object.',
          if: { type: 'object' },
          then: { $ref: '#/definitions/modelSource' },
        },
        versionPolicy: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          maxProperties: 1,
          description: 'Registry sources only: { "latest": N } or { "specific": ["1", "3"] }.',
          properties: {
            latest: integer(1),
            specific: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[1-9][0-9]*$' } },
          },
        },
        scheduler: { $ref: '#/definitions/scheduler' },
      },
    },
    modelSource: {
      type: 'object',
      required: ['kind'],
      properties: { kind: { type: 'string', enum: ['model', 'service-definition', 'registry'] } },
      allOf: [
        {
          if: { type: 'object', properties: { kind: { const: 'model' } } },
          then: {
            type: 'object',
            additionalProperties: false,
            required: ['ref'],
            properties: {
              kind: { const: 'model' },
              ref: nonEmptyString,
              preset: nonEmptyString,
              outputKind: { type: 'string', enum: ['logits', 'probabilities'] },
            },
          },
        },
        {
          if: { type: 'object', properties: { kind: { const: 'service-definition' } } },
          then: {
            type: 'object',
            additionalProperties: false,
            required: ['path'],
            properties: { kind: { const: 'service-definition' }, path: filePath },
          },
        },
        {
          if: { type: 'object', properties: { kind: { const: 'registry' } } },
          then: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { kind: { const: 'registry' }, name: nonEmptyString },
          },
        },
      ],
    },
    scheduler: {
      type: 'object',
      additionalProperties: false,
      description: 'Dynamic batching and the queue bound; a model entry may override the server-wide values.',
      properties: {
        batching: { type: 'boolean', default: true },
        maxBatchSize: { ...integer(1), default: 8 },
        preferredBatchSizes: { type: 'array', items: integer(1), default: [] },
        maxQueueDelayMs: { type: 'number', minimum: 0, default: 0 },
        maxQueueSize: { ...integer(0), default: 64 },
        concurrency: { ...integer(1), default: 1 },
      },
    },
  },
} as const;

/** The option names the file may hold (`$schema` aside). */
export const SERVE_CONFIG_KEYS: readonly string[] = Object.freeze(
  Object.keys(SERVE_CONFIG_SCHEMA.properties).filter((k) => k !== '$schema'),
);
