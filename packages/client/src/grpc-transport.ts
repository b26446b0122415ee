import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as grpc from '@grpc/grpc-js';
import type * as ProtoLoader from '@grpc/proto-loader';
import {
  GRPC_AUTHORIZATION_KEY,
  GRPC_ERROR_CODE_KEY,
  GRPC_ERROR_DETAILS_KEY,
  GRPC_REQUEST_ID_KEY,
  KSERVE_PROTO,
  PROTO_LOADER_OPTIONS,
  TachyonError,
  bearerAuthorization,
} from '@tachyon-serve/protocol';
import type { ClientConfig } from './client-options.js';
import { withRetries, type Attempt } from './retry.js';

const require = createRequire(import.meta.url);
let grpcModule: typeof grpc | undefined;

/**
 * grpc-js, loaded with the first gRPC client: its index loads its server code too, which an HTTP-only user (and
 * every `import 'tachyon-serve'`) should not pay for. Both libraries are CommonJS, so a synchronous require works.
 */
function grpcJs(): typeof grpc {
  return (grpcModule ??= require('@grpc/grpc-js') as typeof grpc);
}

/** The server's default message size limit is 20 MiB; the client accepts what the server may send. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface GrpcCall {
  /** A method of inference.GRPCInferenceService, e.g. 'ModelInfer'. */
  method: string;
  request: object;
  timeoutMs?: number;
  /** Retry UNAVAILABLE answers (draining, not ready). Connection failures are UNAVAILABLE too. @default true */
  retryUnavailable?: boolean;
  signal?: AbortSignal;
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, value?: unknown) => void,
) => grpc.ClientUnaryCall;

let serviceCtor:
  | (new (
      address: string,
      credentials: grpc.ChannelCredentials,
      options?: grpc.ClientOptions,
    ) => grpc.Client)
  | undefined;

/** inference.GRPCInferenceService from the .proto shipped in @tachyon-serve/protocol (loaded once per process). */
function inferenceService(): NonNullable<typeof serviceCtor> {
  if (serviceCtor === undefined) {
    const protoLoader = require('@grpc/proto-loader') as typeof ProtoLoader;
    const definition = protoLoader.loadSync(KSERVE_PROTO, {
      ...PROTO_LOADER_OPTIONS,
      includeDirs: [...PROTO_LOADER_OPTIONS.includeDirs],
    });
    const root = grpcJs().loadPackageDefinition(definition) as unknown as {
      inference: { GRPCInferenceService: NonNullable<typeof serviceCtor> };
    };
    serviceCtor = root.inference.GRPCInferenceService;
  }
  return serviceCtor;
}

/**
 * KServe v2 gRPC over one grpc-js channel: the key as `authorization: Bearer` metadata, a request id, one deadline
 * per call covering every attempt (sent as the gRPC deadline), and retries with jittered exponential backoff on
 * UNAVAILABLE. Server errors are rebuilt from their `tachyon-code` trailer.
 */
export class GrpcTransport {
  readonly #client: grpc.Client;

  constructor(private readonly config: ClientConfig) {
    const ca =
      config.ca === undefined
        ? undefined
        : Buffer.concat(config.ca.map((c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c))));
    const { credentials: creds } = grpcJs();
    const credentials = config.tls ? creds.createSsl(ca ?? null) : creds.createInsecure();
    const Service = inferenceService();
    this.#client = new Service(config.grpcAddress!, credentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  async call<T>(call: GrpcCall): Promise<T> {
    const { config } = this;
    const requestId = randomUUID();
    return withRetries(
      config,
      call,
      () => deadlineError(call, requestId),
      async (remaining): Promise<Attempt<T>> => {
        try {
          return { value: (await this.#once(call, requestId, remaining)) as T };
        } catch (error) {
          if (call.signal?.aborted) throw call.signal.reason ?? error;
          const failure = toClientError(error as grpc.ServiceError, call, requestId, config.grpcAddress!);
          const unavailable = (error as grpc.ServiceError).code === grpcJs().status.UNAVAILABLE;
          if (!unavailable || failure.code === 'TCH_ERR_CLIENT_TLS_FAILED' || call.retryUnavailable === false)
            throw failure;
          return { retry: failure };
        }
      },
    );
  }

  #once(call: GrpcCall, requestId: string, remainingMs: number): Promise<unknown> {
    const metadata = new (grpcJs().Metadata)();
    metadata.set(GRPC_REQUEST_ID_KEY, requestId);
    if (this.config.key !== undefined) metadata.set(GRPC_AUTHORIZATION_KEY, bearerAuthorization(this.config.key));
    const method = (this.#client as unknown as Record<string, UnaryMethod>)[call.method];
    if (typeof method !== 'function')
      throw new TypeError(`method: "${call.method}" is not a GRPCInferenceService method.`);
    return new Promise((resolve, reject) => {
      const pending = method.call(
        this.#client,
        call.request,
        metadata,
        { deadline: Date.now() + remainingMs },
        (error, value) => {
          call.signal?.removeEventListener('abort', cancel);
          if (error) reject(error);
          else resolve(value);
        },
      );
      const cancel = () => pending.cancel();
      call.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  close(): Promise<void> {
    this.#client.close();
    return Promise.resolve();
  }
}

/** A gRPC ServiceError as a TachyonError: the server's own code when it sent one, else a client code. */
export function toClientError(
  error: grpc.ServiceError,
  call: Pick<GrpcCall, 'method'>,
  requestId: string,
  address: string,
): TachyonError {
  const { Metadata, status } = grpcJs();
  const trailers = error.metadata instanceof Metadata ? error.metadata : undefined;
  const code = trailers?.get(GRPC_ERROR_CODE_KEY)[0];
  const serverRequestId = trailers?.get(GRPC_REQUEST_ID_KEY)[0];
  const id = typeof serverRequestId === 'string' ? serverRequestId : requestId;
  if (typeof code === 'string') {
    let details: Record<string, unknown> = {};
    const raw = trailers?.get(GRPC_ERROR_DETAILS_KEY)[0];
    if (raw instanceof Buffer) {
      try {
        details = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        details = {};
      }
    }
    return TachyonError.fromJSON({ error: error.details, code, details: { ...details, requestId: id } });
  }
  const reason = error.details ?? error.message;
  if (error.code === status.DEADLINE_EXCEEDED) return deadlineError(call, id, error);
  if (error.code === status.UNAVAILABLE) {
    if (/certificate|SSL|TLS|handshake|self.signed/i.test(reason)) {
      return new TachyonError('TCH_ERR_CLIENT_TLS_FAILED', `The TLS handshake with "${address}" failed: ${reason}`, {
        details: { address, reason, requestId: id },
        cause: error,
      });
    }
    return new TachyonError('TCH_ERR_CLIENT_UNREACHABLE', `Cannot reach "${address}": ${reason}.`, {
      details: { address, reason, requestId: id },
      cause: error,
    });
  }
  return new TachyonError(
    'TCH_ERR_CLIENT_BAD_RESPONSE',
    `"${call.method}" failed with gRPC status ${error.code} without a tachyon error code: ${reason}`,
    {
      details: { grpcStatus: error.code, requestId: id },
      cause: error,
    },
  );
}

function deadlineError(call: Pick<GrpcCall, 'method'>, requestId: string, cause?: unknown): TachyonError {
  return new TachyonError('TCH_ERR_CLIENT_DEADLINE', `"${call.method}" did not complete within its deadline.`, {
    details: { requestId },
    ...(cause === undefined ? {} : { cause }),
  });
}
