import { SERVER_VERSION } from '../server-version.js';
import type { Observability } from '../observability/observability.js';
import type { GrpcCallLog } from './grpc-call.js';

/**
 * How gRPC callers authenticate: not at all (loopback development), or with one of the keys `keys(service)` returns
 * for the model the call is for (its primary and secondary key). The same callback as the HTTP server's `auth.keys`.
 */
export type GrpcAuth = 'none' | { keys: (service: string) => readonly string[] };

export interface GrpcServerOptions {
  /**
   * `'none'`, or `{ keys }`: `keys(model)` is called on every protected call, so rotating a key needs no restart.
   * Whether 'none' is allowed on the address is the serve command's decision, not this adapter's.
   */
  auth: GrpcAuth;
  /** Largest request message accepted; larger ones get RESOURCE_EXHAUSTED from grpc-js before decoding. @default 20 MiB */
  maxReceiveMessageLength?: number;
  /** Passed to infer(). @default 64 */
  maxImagesPerRequest?: number;
  /** Read on every call: true refuses inference with UNAVAILABLE (TCH_ERR_SERVER_DRAINING) and reports not ready. @default () => false */
  draining?: () => boolean;
  /** ServerMetadata name. @default 'tachyon' */
  serverName?: string;
  /** ServerMetadata version. @default the @tachyon-serve/server package version */
  serverVersion?: string;
  /** Called once per finished call (request id, method, status, code, duration). @default none */
  log?: (entry: GrpcCallLog) => void;
  /** Metrics and tracing shared with the HTTP server; the caller closes it. @default undefined (traceparent propagated only) */
  observability?: Observability;
}

export interface GrpcServerConfig {
  readonly auth: GrpcAuth;
  readonly maxReceiveMessageLength: number;
  readonly maxImagesPerRequest: number;
  readonly draining: () => boolean;
  readonly serverName: string;
  readonly serverVersion: string;
  readonly log: ((entry: GrpcCallLog) => void) | undefined;
  readonly observability: Observability | undefined;
}

export const GRPC_SERVER_DEFAULTS = Object.freeze({
  maxReceiveMessageLength: 20 * 1024 * 1024,
  maxImagesPerRequest: 64,
  draining: (): boolean => false,
  serverName: 'tachyon',
});

/** Options -> frozen config; misuse of the API is a TypeError/RangeError naming the option. */
export function compileGrpcServerConfig(options: GrpcServerOptions): GrpcServerConfig {
  const auth = options.auth;
  if (auth !== 'none' && (typeof auth !== 'object' || auth === null || typeof auth.keys !== 'function')) {
    throw new TypeError("auth: expected 'none' or { keys: (service) => string[] }");
  }
  const maxReceiveMessageLength = options.maxReceiveMessageLength ?? GRPC_SERVER_DEFAULTS.maxReceiveMessageLength;
  if (!Number.isInteger(maxReceiveMessageLength) || maxReceiveMessageLength < 1)
    throw new RangeError('maxReceiveMessageLength: expected an integer >= 1');
  const maxImagesPerRequest = options.maxImagesPerRequest ?? GRPC_SERVER_DEFAULTS.maxImagesPerRequest;
  if (!Number.isInteger(maxImagesPerRequest) || maxImagesPerRequest < 1)
    throw new RangeError('maxImagesPerRequest: expected an integer >= 1');
  if (options.draining !== undefined && typeof options.draining !== 'function')
    throw new TypeError('draining: expected a function returning a boolean');
  return Object.freeze({
    auth: auth === 'none' ? 'none' : Object.freeze({ keys: auth.keys }),
    maxReceiveMessageLength,
    maxImagesPerRequest,
    draining: options.draining ?? GRPC_SERVER_DEFAULTS.draining,
    serverName: options.serverName ?? GRPC_SERVER_DEFAULTS.serverName,
    serverVersion: options.serverVersion ?? SERVER_VERSION,
    log: options.log,
    observability: options.observability,
  });
}
