/** What `createClient` accepts: `url` for HTTP, `grpcAddress` (and `protocol: 'grpc'`) for gRPC; the rest is optional. */
export interface ClientOptions {
  /**
   * Server base URL, `http://host:port` or `https://host:port` (the HTTP port of `tachyon serve`). Required for
   * HTTP; with gRPC an `https` URL also turns TLS on. @default undefined
   */
  url?: string | URL;
  /** Which wire the calls take: HTTP (raw image + KServe v2 binary) or gRPC (KServe v2 `ModelInfer`). @default 'http' */
  protocol?: 'http' | 'grpc';
  /** `host:port` of the server's gRPC port (`tachyon serve --grpc-port`); required with `protocol: 'grpc'`. @default undefined */
  grpcAddress?: string;
  /** gRPC over TLS. @default true when `ca` is given or `url` is https, else false */
  tls?: boolean;
  /** The service's primary or secondary key, sent as `Authorization: Bearer <key>`. @default undefined (no header) */
  key?: string;
  /** PEM CA certificate(s) to trust for an `https` URL, besides the system's. @default undefined */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Deadline of one call in milliseconds, retries included; also sent as `x-request-timeout-ms`. @default 30000 */
  timeoutMs?: number;
  /** Extra attempts after a connection error or an UNAVAILABLE (503) answer. @default 2 */
  retries?: number;
  /** First backoff before a retry, doubled each time (with jitter), capped at `maxBackoffMs`. @default 50 */
  backoffMs?: number;
  /** @default 1000 */
  maxBackoffMs?: number;
  /** Keep-alive connections per origin. @default 8 */
  connections?: number;
}

export interface ClientConfig {
  readonly protocol: 'http' | 'grpc';
  /** '' when there is no `url` (a gRPC-only client). */
  readonly origin: string;
  /** The URL's path without a trailing slash ('' for the root), so a server behind a path prefix works. */
  readonly basePath: string;
  readonly grpcAddress: string | undefined;
  /** gRPC only: whether the channel uses TLS. */
  readonly tls: boolean;
  readonly key: string | undefined;
  readonly ca: readonly (string | Uint8Array)[] | undefined;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly connections: number;
}

export const CLIENT_DEFAULTS = Object.freeze({
  timeoutMs: 30_000,
  retries: 2,
  backoffMs: 50,
  maxBackoffMs: 1000,
  connections: 8,
});

export function compileClientOptions(options: ClientOptions): ClientConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object with a url.');
  const protocol = options.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'grpc')
    throw new TypeError(`options.protocol: expected "http" or "grpc", got ${JSON.stringify(options.protocol)}.`);
  let url: URL | undefined;
  if (options.url !== undefined || protocol === 'http') {
    try {
      url = new URL(String(options.url));
    } catch {
      throw new TypeError(`options.url: expected an http(s) URL, got "${String(options.url)}".`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`options.url: expected http: or https:, got "${url.protocol}".`);
  }
  const grpcAddress = options.grpcAddress;
  if (grpcAddress !== undefined && (typeof grpcAddress !== 'string' || !/^[^\s/]+:\d{1,5}$/.test(grpcAddress))) {
    throw new TypeError(`options.grpcAddress: expected "host:port", got ${JSON.stringify(grpcAddress)}.`);
  }
  if (protocol === 'grpc' && grpcAddress === undefined)
    throw new TypeError('options.grpcAddress: required with protocol "grpc".');
  if (options.tls !== undefined && typeof options.tls !== 'boolean')
    throw new TypeError('options.tls: expected a boolean.');
  if (options.key !== undefined && (typeof options.key !== 'string' || options.key === '' || /\s/.test(options.key))) {
    throw new TypeError('options.key: expected a non-empty string without whitespace.');
  }
  const ca =
    options.ca === undefined
      ? undefined
      : Array.isArray(options.ca)
        ? [...options.ca]
        : [options.ca as string | Uint8Array];
  const int = (name: keyof typeof CLIENT_DEFAULTS, min: number): number => {
    const value = options[name] ?? CLIENT_DEFAULTS[name];
    if (!Number.isInteger(value) || value < min)
      throw new RangeError(`options.${name}: expected an integer >= ${min}, got ${String(value)}.`);
    return value;
  };
  return Object.freeze({
    protocol,
    origin: url?.origin ?? '',
    basePath: url?.pathname.replace(/\/+$/, '') ?? '',
    grpcAddress,
    tls: options.tls ?? (ca !== undefined || url?.protocol === 'https:'),
    key: options.key,
    ca: ca && Object.freeze(ca),
    timeoutMs: int('timeoutMs', 1),
    retries: int('retries', 0),
    backoffMs: int('backoffMs', 0),
    maxBackoffMs: int('maxBackoffMs', 0),
    connections: int('connections', 1),
  });
}
