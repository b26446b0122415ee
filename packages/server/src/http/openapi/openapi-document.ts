import {
  DEADLINE_HEADER,
  INFERENCE_HEADER,
  PRIORITY_HEADER,
  REQUEST_ID_HEADER,
  RETRY_AFTER_HEADER,
  SERVER_TIMING_HEADER,
  TRACEPARENT_HEADER,
} from '@tachyon-serve/protocol';
import { SERVER_VERSION } from '../../server-version.js';
import { SCHEMAS } from './openapi-schemas.js';

type Json = Record<string, unknown>;
type Access = 'open' | 'service' | 'admin';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
const nameParam = {
  name: 'name',
  in: 'path',
  required: true,
  description: 'The served model (service) name.',
  schema: { type: 'string' },
};
const versionParam = {
  name: 'version',
  in: 'path',
  required: true,
  description:
    'The model version: "1" for a model served from a file or the zoo, the registered version for a registry model.',
  schema: { type: 'string' },
};

function operation(o: {
  summary: string;
  tags: string[];
  access: Access;
  ok: Json;
  params?: Json[];
  body?: Json;
  description?: string;
}): Json {
  const security = o.access === 'open' ? [] : o.access === 'service' ? [{ serviceKey: [] }] : [{ adminKey: [] }];
  return {
    summary: o.summary,
    ...(o.description === undefined ? {} : { description: o.description }),
    tags: o.tags,
    security,
    parameters: [
      ...(o.params ?? []),
      { $ref: '#/components/parameters/RequestId' },
      { $ref: '#/components/parameters/Timeout' },
      ...(o.access === 'service' && o.body !== undefined ? [{ $ref: '#/components/parameters/Priority' }] : []),
      { $ref: '#/components/parameters/Traceparent' },
    ],
    ...(o.body === undefined ? {} : { requestBody: { required: true, content: o.body } }),
    responses: {
      '200': {
        description: 'OK',
        headers: {
          [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' },
          [TRACEPARENT_HEADER]: { $ref: '#/components/headers/Traceparent' },
        },
        content: o.ok,
      },
      default: { $ref: '#/components/responses/Error' },
    },
  };
}

const inferOk = {
  'application/json': { schema: ref('InferResponse') },
  // Binary tensor data extension: the JSON InferResponse (Inference-Header-Content-Length bytes), then each binary output.
  'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
};

function kserveModelPaths(base: string, params: Json[]): Json {
  return {
    [base]: {
      get: operation({
        summary: 'Model metadata',
        tags: ['KServe v2'],
        access: 'service',
        params,
        ok: json('ModelMetadata'),
      }),
    },
    [`${base}/ready`]: {
      get: operation({
        summary: 'Model readiness (200 ready, 503 not yet)',
        tags: ['KServe v2'],
        access: 'service',
        params,
        ok: json('ModelReady'),
      }),
    },
    [`${base}/infer`]: {
      post: withServerTiming(
        operation({
          summary:
            'Inference (KServe v2 / open inference protocol), with the binary tensor data and classification extensions',
          description:
            'Input "images": BYTES [N] or [N, 1], one encoded JPEG/PNG/WebP per element. Output "scores": FP32 [N, C] confidences, or with parameters.classification = K, BYTES [N, K] "score:index:label". A binary body must send the Inference-Header-Content-Length header; BYTES binary elements are each a 4-byte little-endian length then the bytes. A binary response (application/octet-stream) is the JSON InferResponse (its Inference-Header-Content-Length header gives the length) followed by each binary output\'s data.',
          tags: ['KServe v2'],
          access: 'service',
          params: [
            ...params,
            {
              name: INFERENCE_HEADER,
              in: 'header',
              required: false,
              description: 'Length of the JSON header when binary tensor data follows it.',
              schema: { type: 'integer', minimum: 0 },
            },
          ],
          body: {
            'application/json': { schema: ref('InferRequest') },
            'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
          },
          ok: inferOk,
        }),
      ),
    },
  };
}

function tfPaths(base: string, params: Json[]): Json {
  return {
    [`${base}:predict`]: {
      post: withServerTiming(
        operation({
          summary: 'TF-Serving REST Predict (the original Brainwave request, over HTTP)',
          tags: ['TF-Serving'],
          access: 'service',
          params,
          body: json('PredictRequest'),
          ok: json('PredictResponse'),
        }),
      ),
    },
    [base]: {
      get: operation({
        summary: 'TF-Serving model status (GetModelStatus): every version and its state',
        tags: ['TF-Serving'],
        access: 'service',
        params,
        ok: json('ModelStatus'),
      }),
    },
    [`${base}/metadata`]: {
      get: operation({
        summary: 'TF-Serving model metadata (GetModelMetadata): the signature_def of serving_default',
        tags: ['TF-Serving'],
        access: 'service',
        params,
        ok: json('ModelMetadataTf'),
      }),
    },
  };
}

function optionalBody(op: Json): Json {
  (op['requestBody'] as Json)['required'] = false;
  return op;
}

function withServerTiming(op: Json): Json {
  const ok = (op['responses'] as Json)['200'] as Json;
  ok['headers'] = { ...(ok['headers'] as Json), [SERVER_TIMING_HEADER]: { $ref: '#/components/headers/ServerTiming' } };
  return op;
}

/** The OpenAPI 3.0 document of the HTTP API; served at GET /openapi.json and kept in docs/openapi.json. */
export function buildOpenApiDocument(): Json {
  return {
    openapi: '3.0.3',
    info: {
      title: 'tachyon HTTP API',
      version: SERVER_VERSION,
      description:
        "Image classification served over the raw-image, KServe v2 (open inference protocol) and TF-Serving REST protocols. Every response carries x-request-id; inference responses carry Server-Timing (queue, preprocess, compute, postprocess, total). Errors: {error, code, requestId, details?}, status from the code's kind (docs/errors.md).",
    },
    tags: [
      { name: 'Server' },
      { name: 'Raw image' },
      { name: 'KServe v2' },
      { name: 'TF-Serving' },
      { name: 'Model repository' },
    ],
    paths: {
      '/v2': {
        get: operation({ summary: 'Server metadata', tags: ['Server'], access: 'open', ok: json('ServerMetadata') }),
      },
      '/v2/health/live': {
        get: operation({
          summary: 'Liveness (200 while the process serves, also while draining)',
          tags: ['Server'],
          access: 'open',
          ok: json('Live'),
        }),
      },
      '/v2/health/ready': {
        get: operation({
          summary: 'Readiness (200 once every model has loaded and warmed up; 503 while loading or draining)',
          tags: ['Server'],
          access: 'open',
          ok: json('Ready'),
        }),
      },
      '/openapi.json': {
        get: operation({
          summary: 'This document',
          tags: ['Server'],
          access: 'open',
          ok: { 'application/json': { schema: { type: 'object' } } },
        }),
      },
      '/v2/repository/index': {
        post: optionalBody(
          operation({
            summary:
              'Every model version and its state: served, loading, unloading, failed, and (with a workspace) registered but not loaded (management: admin key)',
            tags: ['Model repository'],
            access: 'admin',
            body: json('RepositoryIndexRequest'),
            ok: json('RepositoryIndex'),
          }),
        ),
      },
      '/v2/repository/models/{name}/load': {
        post: optionalBody(
          operation({
            summary:
              'Load a model, or reload it with a new source or version policy; answers once every selected version is ready (management: admin key)',
            description:
              'New versions load and warm up while the old ones keep serving, then traffic switches and the versions no longer selected drain and unload. All or nothing: on any error the versions served before stay. A second load or unload of the same name waits for the first. 404 when model control is disabled.',
            tags: ['Model repository'],
            access: 'admin',
            params: [nameParam],
            body: json('RepositoryLoadRequest'),
            ok: json('Empty'),
          }),
        ),
      },
      '/v2/repository/models/{name}/unload': {
        post: optionalBody(
          operation({
            summary: 'Drain and unload every version of a model, or one (management: admin key)',
            description:
              'Requests already admitted finish; new ones get TCH_ERR_MODEL_UNLOADING while it drains, then TCH_ERR_MODEL_NOT_FOUND. 404 when model control is disabled.',
            tags: ['Model repository'],
            access: 'admin',
            params: [nameParam],
            body: json('RepositoryUnloadRequest'),
            ok: json('Empty'),
          }),
        ),
      },
      '/v1/services/{name}/classify': {
        post: withServerTiming(
          operation({
            summary: 'Classify one raw image (the body) or several (multipart/form-data, one file part each)',
            tags: ['Raw image'],
            access: 'service',
            params: [
              nameParam,
              {
                name: 'top',
                in: 'query',
                required: false,
                schema: { type: 'integer', minimum: 1, maximum: 1000, default: 5 },
              },
            ],
            body: {
              'image/jpeg': { schema: { type: 'string', format: 'binary' } },
              'image/png': { schema: { type: 'string', format: 'binary' } },
              'image/webp': { schema: { type: 'string', format: 'binary' } },
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
              'multipart/form-data': {
                schema: { type: 'object', additionalProperties: { type: 'string', format: 'binary' } },
              },
            },
            ok: json('ClassifyResponse'),
          }),
        ),
      },
      '/metrics': {
        get: operation({
          summary: 'Prometheus metrics, text format (admin key; absent when metrics are disabled)',
          tags: ['Server'],
          access: 'admin',
          ok: { 'text/plain': { schema: { type: 'string' } } },
        }),
      },
      '/v2/metrics/history': {
        get: operation({
          summary: 'Rolling per-model history for the dashboard (admin key; absent when metrics are disabled)',
          tags: ['Server'],
          access: 'admin',
          ok: json('MetricsHistory'),
        }),
      },
      ...kserveModelPaths('/v2/models/{name}', [nameParam]),
      ...kserveModelPaths('/v2/models/{name}/versions/{version}', [nameParam, versionParam]),
      ...tfPaths('/v1/models/{name}', [nameParam]),
      ...tfPaths('/v1/models/{name}/versions/{version}', [nameParam, versionParam]),
    },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        serviceKey: {
          type: 'http',
          scheme: 'bearer',
          description: "The service's primary or secondary key (Authorization: Bearer <key>).",
        },
        adminKey: { type: 'http', scheme: 'bearer', description: 'The workspace admin key.' },
      },
      parameters: {
        RequestId: {
          name: REQUEST_ID_HEADER,
          in: 'header',
          required: false,
          description: 'Echoed; generated (UUID) when absent or not 1-128 visible ASCII characters.',
          schema: { type: 'string', maxLength: 128 },
        },
        Traceparent: {
          name: TRACEPARENT_HEADER,
          in: 'header',
          required: false,
          description: 'W3C Trace Context of the caller (with optional tracestate); an invalid one is ignored.',
          schema: { type: 'string' },
        },
        Priority: {
          name: PRIORITY_HEADER,
          in: 'header',
          required: false,
          description:
            'Scheduling priority: "high" overtakes "normal" requests waiting for the same model (KServe JSON may say parameters.priority: 1 instead).',
          schema: { type: 'string', enum: ['high', 'normal'] },
        },
        Timeout: {
          name: DEADLINE_HEADER,
          in: 'header',
          required: false,
          description: 'Deadline in ms from arrival; past it the answer is TCH_ERR_DEADLINE_EXCEEDED (504).',
          schema: { type: 'integer', minimum: 1 },
        },
      },
      headers: {
        RequestId: { description: 'The request id.', schema: { type: 'string' } },
        Traceparent: {
          description:
            "W3C traceparent of this request's server span: the caller's trace id (or a new trace), a new span id.",
          schema: { type: 'string' },
        },
        ServerTiming: {
          description: 'queue;dur=, preprocess;dur=, compute;dur=, postprocess;dur=, total;dur= (ms).',
          schema: { type: 'string' },
        },
      },
      responses: {
        Error: {
          description: 'An error; the status comes from the kind of the code (docs/errors.md).',
          headers: {
            [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' },
            [RETRY_AFTER_HEADER]: { description: 'Seconds; with TCH_ERR_LIMIT_RATE.', schema: { type: 'integer' } },
          },
          content: json('Error'),
        },
      },
    },
  };
}
