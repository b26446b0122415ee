import { INFERENCE_HEADER, TachyonError, type KServeModelMetadata, type ScoredClass } from '@tachyon-serve/protocol';
import { compileClientOptions, type ClientConfig, type ClientOptions } from './client-options.js';
import { GrpcTransport } from './grpc-transport.js';
import { HttpTransport, errorFromReply, type HttpReply } from './http-transport.js';
import { encodeClassifyBody } from './image-body.js';
import { decodeScores, encodeImagesRequest } from './kserve-binary.js';
import {
  buildModelInferRequest,
  decodeGrpcClassification,
  decodeGrpcScores,
  type ModelInferResponseMessage,
} from './kserve-grpc.js';

export type { ScoredClass };

export interface ClassifyResult {
  /** The multipart part's file name (the `names` given to classify), or null for a single image sent as the body. */
  file: string | null;
  /** Best first. */
  top: ScoredClass[];
}

export interface CallOptions {
  /** Deadline of this call, retries included. @default the client's timeoutMs */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ClassifyOptions extends CallOptions {
  /** Classes per image. @default 5 */
  top?: number;
  /** Part names of a multipart upload (echoed as `file`); with one name a single image goes as multipart too. */
  names?: readonly string[];
}

/** KServe v2 model metadata (the protocol's KServeModelMetadata). */
export type ModelMetadata = KServeModelMetadata;

/**
 * Over HTTP the calls use the raw-image endpoint and KServe v2 binary data; over gRPC (`protocol: 'grpc'`) KServe v2
 * `ModelInfer` (raw contents; classification extension for top-K), `ServerLive`, `ServerReady`, `ModelReady` and
 * `ModelMetadata`. Both give the same results.
 */
export interface TachyonClient {
  readonly config: ClientConfig;
  /** Top-K labels per image, via the raw-image endpoint `POST /v1/services/{model}/classify` (gRPC: ModelInfer + classification). */
  classify(
    model: string,
    images: Uint8Array | readonly Uint8Array[],
    options?: ClassifyOptions,
  ): Promise<ClassifyResult[]>;
  /** Class confidences (one Float32Array per image), via KServe v2 `POST /v2/models/{model}/infer` with binary data (gRPC: ModelInfer). */
  infer(model: string, images: Uint8Array | readonly Uint8Array[], options?: CallOptions): Promise<Float32Array[]>;
  /** Whether the server (or one model) is ready to serve: `/v2/health/ready` or `/v2/models/{model}/ready`. */
  ready(model?: string, options?: CallOptions): Promise<boolean>;
  /** Whether the server process is up: `/v2/health/live`. */
  live(options?: CallOptions): Promise<boolean>;
  metadata(model: string, options?: CallOptions): Promise<ModelMetadata>;
  /** Closes the keep-alive connections. */
  close(): Promise<void>;
}

/** A client for one tachyon server (see the package's index.ts for an example). */
export function createClient(options: ClientOptions): TachyonClient {
  const config = compileClientOptions(options);
  if (config.protocol === 'grpc') return createGrpcClient(config);
  const http = new HttpTransport(config);
  const call = (o: CallOptions | undefined) => ({
    ...(o?.timeoutMs === undefined ? {} : { timeoutMs: checkTimeout(o.timeoutMs) }),
    ...(o?.signal === undefined ? {} : { signal: o.signal }),
  });

  return Object.freeze({
    config,

    async classify(
      model: string,
      images: Uint8Array | readonly Uint8Array[],
      o: ClassifyOptions = {},
    ): Promise<ClassifyResult[]> {
      const list = toImages(images);
      const top = checkClassifyOptions(list, o);
      const { body, contentType } = encodeClassifyBody(list, o.names);
      const reply = ok(
        await http.call({
          method: 'POST',
          path: `/v1/services/${modelPath(model)}/classify?top=${top}`,
          headers: { 'content-type': contentType },
          body,
          ...call(o),
        }),
      );
      const results = json<{ results?: ClassifyResult[] }>(reply).results;
      if (!Array.isArray(results) || results.length !== list.length) {
        throw new TachyonError(
          'TCH_ERR_CLIENT_BAD_RESPONSE',
          `Expected ${list.length} results from the classify endpoint.`,
          { details: { requestId: reply.requestId } },
        );
      }
      return results;
    },

    async infer(model: string, images: Uint8Array | readonly Uint8Array[], o?: CallOptions): Promise<Float32Array[]> {
      const list = toImages(images);
      const { body, headerLength } = encodeImagesRequest(list);
      const reply = ok(
        await http.call({
          method: 'POST',
          path: `/v2/models/${modelPath(model)}/infer`,
          headers: { 'content-type': 'application/octet-stream', [INFERENCE_HEADER]: String(headerLength) },
          body,
          ...call(o),
        }),
      );
      const length = reply.headers[INFERENCE_HEADER];
      const rows = decodeScores(reply.body, length === undefined ? undefined : Number(length));
      if (rows.length !== list.length) {
        throw new TachyonError(
          'TCH_ERR_CLIENT_BAD_RESPONSE',
          `Expected scores for ${list.length} images, got ${rows.length}.`,
          { details: { requestId: reply.requestId } },
        );
      }
      return rows;
    },

    async ready(model?: string, o?: CallOptions): Promise<boolean> {
      const path = model === undefined ? '/v2/health/ready' : `/v2/models/${modelPath(model)}/ready`;
      return health(await http.call({ method: 'GET', path, retryUnavailable: false, ...call(o) }));
    },

    async live(o?: CallOptions): Promise<boolean> {
      return health(await http.call({ method: 'GET', path: '/v2/health/live', retryUnavailable: false, ...call(o) }));
    },

    async metadata(model: string, o?: CallOptions): Promise<ModelMetadata> {
      return json<ModelMetadata>(
        ok(await http.call({ method: 'GET', path: `/v2/models/${modelPath(model)}`, ...call(o) })),
      );
    },

    close: () => http.close(),
  });
}

function createGrpcClient(config: ClientConfig): TachyonClient {
  const grpc = new GrpcTransport(config);
  const call = (o: CallOptions | undefined) => ({
    ...(o?.timeoutMs === undefined ? {} : { timeoutMs: checkTimeout(o.timeoutMs) }),
    ...(o?.signal === undefined ? {} : { signal: o.signal }),
  });
  const rowsOf = <T>(rows: T[], expected: number): T[] => {
    if (rows.length !== expected)
      throw new TachyonError(
        'TCH_ERR_CLIENT_BAD_RESPONSE',
        `Expected results for ${expected} images, got ${rows.length}.`,
      );
    return rows;
  };
  // As over HTTP (503 and 404 are false): a server that answers UNAVAILABLE (draining) or NOT_FOUND is not ready;
  // anything else (a wrong key, an unreachable server) is thrown.
  const readiness = async (method: string, request: object, o?: CallOptions): Promise<boolean> => {
    try {
      const reply = await grpc.call<{ live?: boolean; ready?: boolean }>({
        method,
        request,
        retryUnavailable: false,
        ...call(o),
      });
      return reply.live ?? reply.ready ?? false;
    } catch (error) {
      const e = error as TachyonError;
      if ((e.kind === 'UNAVAILABLE' || e.kind === 'NOT_FOUND') && !String(e.code).startsWith('TCH_ERR_CLIENT_'))
        return false;
      throw error;
    }
  };

  return Object.freeze({
    config,

    async classify(
      model: string,
      images: Uint8Array | readonly Uint8Array[],
      o: ClassifyOptions = {},
    ): Promise<ClassifyResult[]> {
      const list = toImages(images);
      const top = checkClassifyOptions(list, o);
      const request = buildModelInferRequest(checkModel(model), list, top);
      const response = await grpc.call<ModelInferResponseMessage>({ method: 'ModelInfer', request, ...call(o) });
      // The same `file` as the HTTP endpoint: the given name, null for one unnamed image, else the part name.
      return rowsOf(decodeGrpcClassification(response), list.length).map((row, i) => ({
        file: o.names?.[i] ?? (list.length === 1 ? null : `image${i}`),
        top: row,
      }));
    },

    async infer(model: string, images: Uint8Array | readonly Uint8Array[], o?: CallOptions): Promise<Float32Array[]> {
      const list = toImages(images);
      const request = buildModelInferRequest(checkModel(model), list);
      return rowsOf(
        decodeGrpcScores(await grpc.call<ModelInferResponseMessage>({ method: 'ModelInfer', request, ...call(o) })),
        list.length,
      );
    },

    ready: (model?: string, o?: CallOptions): Promise<boolean> =>
      model === undefined
        ? readiness('ServerReady', {}, o)
        : readiness('ModelReady', { name: checkModel(model), version: '' }, o),

    live: (o?: CallOptions): Promise<boolean> => readiness('ServerLive', {}, o),

    async metadata(model: string, o?: CallOptions): Promise<ModelMetadata> {
      const reply = await grpc.call<ModelMetadata>({
        method: 'ModelMetadata',
        request: { name: checkModel(model), version: '' },
        ...call(o),
      });
      return {
        name: reply.name,
        versions: reply.versions,
        platform: reply.platform,
        inputs: reply.inputs,
        outputs: reply.outputs,
      };
    },

    close: () => grpc.close(),
  });
}

function toImages(images: Uint8Array | readonly Uint8Array[]): readonly Uint8Array[] {
  const list = images instanceof Uint8Array ? [images] : images;
  if (!Array.isArray(list) || list.length === 0 || !list.every((i) => i instanceof Uint8Array)) {
    throw new TypeError('images: expected a Uint8Array or a non-empty array of them.');
  }
  return list;
}

function checkModel(model: string): string {
  modelPath(model);
  return model;
}

function modelPath(model: string): string {
  if (typeof model !== 'string' || model === '') throw new TypeError('model: expected a non-empty model name.');
  return encodeURIComponent(model);
}

function checkTimeout(ms: number): number {
  if (!Number.isInteger(ms) || ms < 1)
    throw new RangeError(`options.timeoutMs: expected an integer >= 1, got ${String(ms)}.`);
  return ms;
}

function ok(reply: HttpReply): HttpReply {
  if (reply.status >= 200 && reply.status < 300) return reply;
  throw errorFromReply(reply);
}

function health(reply: HttpReply): boolean {
  if (reply.status >= 200 && reply.status < 300) return true;
  if (reply.status === 503 || reply.status === 404) return false;
  throw errorFromReply(reply);
}

function json<T>(reply: HttpReply): T {
  try {
    return JSON.parse(reply.body.toString('utf8')) as T;
  } catch (cause) {
    throw new TachyonError('TCH_ERR_CLIENT_BAD_RESPONSE', 'The server answered with a body that is not JSON.', {
      details: { requestId: reply.requestId },
      cause,
    });
  }
}

/** The `top` of a classify call (default 5), after checking it and that `names`, if given, has one name per image. */
function checkClassifyOptions(list: readonly Uint8Array[], o: ClassifyOptions): number {
  const top = o.top ?? 5;
  if (!Number.isInteger(top) || top < 1)
    throw new RangeError(`options.top: expected an integer >= 1, got ${String(top)}.`);
  if (o.names !== undefined && o.names.length !== list.length)
    throw new RangeError('options.names: expected one name per image.');
  return top;
}
