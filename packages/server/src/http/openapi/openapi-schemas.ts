/** OpenAPI 3.0 components: the JSON shapes of every HTTP route's bodies. */
type Schema = Record<string, unknown>;

const str = { type: 'string' };
const int = { type: 'integer' };
const strings = { type: 'array', items: str };
const shape = { type: 'array', items: { type: 'integer', minimum: -1 } };
const tensorMeta = {
  type: 'object',
  required: ['name', 'datatype', 'shape'],
  properties: { name: str, datatype: str, shape },
};
const b64 = { type: 'object', required: ['b64'], properties: { b64: { type: 'string', format: 'byte' } } };

export const SCHEMAS: Record<string, Schema> = {
  Error: {
    type: 'object',
    required: ['error', 'code', 'requestId'],
    properties: {
      error: { type: 'string', description: 'One sentence.' },
      code: {
        type: 'string',
        description: 'A TCH_ERR_* code from docs/errors.md; the HTTP status comes from its kind.',
      },
      requestId: { type: 'string', description: 'The x-request-id of the request (also in the response header).' },
      details: { type: 'object', additionalProperties: true },
    },
  },
  ServerMetadata: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    properties: { name: str, version: str, extensions: strings },
  },
  Live: { type: 'object', properties: { live: { type: 'boolean' } } },
  Ready: { type: 'object', properties: { ready: { type: 'boolean' } } },
  ModelReady: { type: 'object', properties: { name: str, version: str, ready: { type: 'boolean' } } },
  ModelMetadata: {
    type: 'object',
    required: ['name', 'versions', 'platform', 'inputs', 'outputs'],
    properties: {
      name: str,
      versions: strings,
      platform: str,
      inputs: { type: 'array', items: tensorMeta },
      outputs: { type: 'array', items: tensorMeta },
    },
  },
  RepositoryIndex: {
    type: 'array',
    items: {
      type: 'object',
      required: ['name', 'state'],
      properties: {
        name: str,
        version: str,
        state: { type: 'string', enum: ['READY', 'LOADING', 'UNAVAILABLE', 'UNLOADING'] },
        reason: {
          type: 'string',
          description: 'Why it is UNAVAILABLE: "not loaded", or the code and message of its failed load.',
        },
      },
    },
  },
  RepositoryIndexRequest: {
    type: 'object',
    properties: { ready: { type: 'boolean', description: 'Only the READY versions.' } },
  },
  VersionPolicy: {
    description: 'Registry models only. latest: the N highest registered versions; specific: exactly these.',
    oneOf: [
      {
        type: 'object',
        required: ['latest'],
        additionalProperties: false,
        properties: { latest: { type: 'integer', minimum: 1 } },
      },
      {
        type: 'object',
        required: ['specific'],
        additionalProperties: false,
        properties: { specific: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^[1-9][0-9]*$' } } },
      },
    ],
  },
  RepositoryLoadRequest: {
    type: 'object',
    properties: {
      parameters: {
        type: 'object',
        properties: {
          source: {
            type: 'string',
            description:
              'registry:NAME, a zoo id, an .onnx file or a service-definition .zip on the server. Default: the current source, else registry:{name}.',
          },
          version_policy: { $ref: '#/components/schemas/VersionPolicy' },
        },
      },
    },
  },
  RepositoryUnloadRequest: {
    type: 'object',
    properties: {
      parameters: {
        type: 'object',
        properties: {
          version: { type: 'string', description: 'Only this version. Default: every version.' },
          unload_dependents: { type: 'boolean', description: 'Accepted and ignored (tritonclient sends it).' },
        },
      },
    },
  },
  Empty: { type: 'object', additionalProperties: false },
  InferInput: {
    type: 'object',
    required: ['name', 'datatype', 'shape'],
    properties: {
      name: { type: 'string', example: 'images' },
      datatype: { type: 'string', example: 'BYTES' },
      shape,
      parameters: {
        type: 'object',
        properties: {
          binary_data_size: {
            ...int,
            description: 'Binary tensor data extension: bytes of this input after the JSON header.',
          },
          content_type: {
            type: 'string',
            enum: ['base64', 'str'],
            description: '"base64": BYTES string elements are base64.',
          },
        },
      },
      data: {
        type: 'array',
        description:
          'Row-major, may be nested. BYTES elements: a string (its UTF-8 bytes; base64 with content_type "base64") or {"b64": "..."}.',
        items: {},
      },
    },
  },
  InferRequestedOutput: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', example: 'scores' },
      parameters: {
        type: 'object',
        properties: {
          classification: {
            ...int,
            minimum: 1,
            description: 'Classification extension: the top K as BYTES "score:index:label".',
          },
          binary_data: { type: 'boolean', description: 'Return this output as binary data after the JSON header.' },
        },
      },
    },
  },
  InferRequest: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: str,
      parameters: { type: 'object', properties: { binary_data_output: { type: 'boolean' } } },
      inputs: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/InferInput' } },
      outputs: { type: 'array', items: { $ref: '#/components/schemas/InferRequestedOutput' } },
    },
  },
  InferOutput: {
    type: 'object',
    required: ['name', 'datatype', 'shape'],
    properties: {
      name: str,
      datatype: str,
      shape,
      data: { type: 'array', items: {}, description: 'Absent when the output is binary.' },
      parameters: { type: 'object', properties: { binary_data_size: int } },
    },
  },
  InferResponse: {
    type: 'object',
    required: ['model_name', 'model_version', 'outputs'],
    properties: {
      model_name: str,
      model_version: str,
      id: str,
      outputs: { type: 'array', items: { $ref: '#/components/schemas/InferOutput' } },
    },
  },
  ClassifyResponse: {
    type: 'object',
    required: ['results'],
    properties: {
      results: {
        type: 'array',
        items: {
          type: 'object',
          required: ['file', 'top'],
          properties: {
            file: { type: 'string', nullable: true, description: 'The multipart part filename; null for a raw body.' },
            top: {
              type: 'array',
              items: {
                type: 'object',
                required: ['index', 'label', 'score'],
                properties: { index: int, label: str, score: { type: 'number' } },
              },
            },
          },
        },
      },
    },
  },
  PredictRequest: {
    type: 'object',
    description: 'Exactly one of instances (row format) or inputs (columnar format).',
    properties: {
      signature_name: str,
      instances: {
        type: 'array',
        items: { oneOf: [b64, { type: 'object', required: ['images'], properties: { images: b64 } }] },
      },
      inputs: {
        oneOf: [
          b64,
          { type: 'array', items: b64 },
          {
            type: 'object',
            required: ['images'],
            properties: { images: { oneOf: [b64, { type: 'array', items: b64 }] } },
          },
        ],
      },
    },
  },
  PredictResponse: {
    type: 'object',
    description:
      'predictions (row format) or outputs (columnar): per image, the class confidences (FP32, softmax applied).',
    properties: {
      predictions: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
      outputs: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
    },
  },
  ModelStatus: {
    type: 'object',
    properties: {
      model_version_status: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            version: str,
            state: { type: 'string', enum: ['UNKNOWN', 'START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END'] },
            status: { type: 'object', properties: { error_code: str, error_message: str } },
          },
        },
      },
    },
  },
  ModelMetadataTf: {
    type: 'object',
    description:
      'TF-Serving GetModelMetadata as JSON: the signature_def of serving_default (input images: DT_STRING [-1]; outputs scores and output_alias: DT_FLOAT [-1, C]); int64 values as strings.',
    properties: {
      model_spec: { type: 'object', properties: { name: str, signature_name: str, version: str } },
      metadata: {
        type: 'object',
        properties: {
          signature_def: {
            type: 'object',
            properties: {
              signature_def: {
                type: 'object',
                additionalProperties: {
                  type: 'object',
                  properties: {
                    inputs: { type: 'object', additionalProperties: { $ref: '#/components/schemas/TensorInfo' } },
                    outputs: { type: 'object', additionalProperties: { $ref: '#/components/schemas/TensorInfo' } },
                    method_name: str,
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  TensorInfo: {
    type: 'object',
    properties: {
      name: str,
      dtype: str,
      tensor_shape: {
        type: 'object',
        properties: {
          dim: { type: 'array', items: { type: 'object', properties: { size: str, name: str } } },
          unknown_rank: { type: 'boolean' },
        },
      },
    },
  },
  MetricsHistory: {
    type: 'object',
    required: ['bucketSeconds', 'buckets'],
    description:
      'The rolling history, oldest bucket first; buckets without traffic are left out (docs/observability.md).',
    properties: {
      bucketSeconds: int,
      buckets: {
        type: 'array',
        items: {
          type: 'object',
          required: ['start', 'models'],
          properties: {
            start: { type: 'integer', description: 'Bucket start, Unix epoch milliseconds.' },
            models: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: {
                  requests: int,
                  errors: int,
                  latencyMs: {
                    type: 'object',
                    nullable: true,
                    description: 'Total server time of successful requests, within 4.5 %.',
                    properties: { p50: { type: 'number' }, p90: { type: 'number' }, p99: { type: 'number' } },
                  },
                  meanBatchSize: { type: 'number', nullable: true },
                },
              },
            },
          },
        },
      },
    },
  },
};
