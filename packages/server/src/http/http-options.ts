/** What the HTTP server accepts: limits, timeouts, auth, CORS and logging. `compileHttpOptions` freezes them. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Who may call. Service keys guard the inference and model routes (`Authorization: Bearer <key>`); `keys` is called on
 * every request, so rotating a key needs no restart. The admin key guards management routes. `'none'` turns auth
 * off (the serve helper allows that on loopback only).
 */
export type HttpAuthOptions =
  | {
      /** The accepted keys for the service (model) named in the URL; both primary and secondary. */
      keys: (service: string) => readonly string[];
      /** Management routes are refused when absent. @default undefined */
      adminKey?: string;
    }
  | 'none';

export interface RateLimitOptions {
  /** Sustained rate per key (per client address when auth is 'none'). */
  requestsPerSecond: number;
  /** Bucket size: requests allowed at once after an idle period. @default max(1, ceil(requestsPerSecond)) */
  burst?: number;
}

export interface HttpOptions {
  /** Required: service keys and admin key, or 'none'. */
  auth: HttpAuthOptions;
  /** Largest request body in bytes (raw image, JSON, binary tensors, whole multipart body). @default 20 MiB */
  bodyLimit?: number;
  /** Most images in one request, over every protocol. @default 64 */
  maxImagesPerRequest?: number;
  /** Longest URL path parameter (model names, versions) in characters. @default 256 */
  maxParamLength?: number;
  /** Largest request header block in bytes (Node's `maxHeaderSize`); beyond it the request is refused. @default 16384 */
  maxHeaderSize?: number;
  /** Socket inactivity timeout in ms (0: none). @default 60000 */
  connectionTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, in ms. @default 72000 */
  keepAliveTimeoutMs?: number;
  /** Time allowed to receive a whole request, in ms (0: none). @default 60000 */
  requestTimeoutMs?: number;
  /** Most open connections; more are dropped by Node before any HTTP is read. @default 1024 */
  maxConnections?: number;
  /** Token bucket per key. @default undefined (no rate limit) */
  rateLimit?: RateLimitOptions;
  /** Origins allowed by CORS (exact strings, or '*'). @default undefined (CORS off) */
  cors?: { origins: readonly string[] };
  /** @default 'info' */
  logLevel?: LogLevel;
}

export interface HttpConfig {
  readonly auth: Readonly<{ keys: (service: string) => readonly string[]; adminKey: string | undefined }> | 'none';
  readonly bodyLimit: number;
  readonly maxImagesPerRequest: number;
  readonly maxParamLength: number;
  readonly maxHeaderSize: number;
  readonly connectionTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly maxConnections: number;
  readonly rateLimit: Readonly<{ requestsPerSecond: number; burst: number }> | undefined;
  readonly cors: Readonly<{ origins: readonly string[] }> | undefined;
  readonly logLevel: LogLevel;
}

export const HTTP_DEFAULTS = Object.freeze({
  bodyLimit: 20 * 1024 * 1024,
  maxImagesPerRequest: 64,
  maxParamLength: 256,
  maxHeaderSize: 16 * 1024,
  connectionTimeoutMs: 60_000,
  keepAliveTimeoutMs: 72_000,
  requestTimeoutMs: 60_000,
  maxConnections: 1024,
  logLevel: 'info' as LogLevel,
});

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function compileHttpOptions(options: HttpOptions): HttpConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object');
  const auth = options.auth;
  let compiledAuth: HttpConfig['auth'];
  if (auth === 'none') compiledAuth = 'none';
  else if (typeof auth === 'object' && auth !== null && typeof auth.keys === 'function') {
    if (auth.adminKey !== undefined && (typeof auth.adminKey !== 'string' || auth.adminKey.length < 16)) {
      throw new RangeError('auth.adminKey: expected a string of at least 16 characters');
    }
    compiledAuth = Object.freeze({ keys: auth.keys, adminKey: auth.adminKey });
  } else {
    throw new TypeError("auth: expected { keys: (service) => string[], adminKey? } or 'none'");
  }
  const int = (name: keyof typeof HTTP_DEFAULTS, min: number): number => {
    const value = (options as unknown as Record<string, unknown>)[name] ?? HTTP_DEFAULTS[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      throw new RangeError(`${name}: expected an integer >= ${min}, got ${String(value)}`);
    }
    return value;
  };
  let rateLimit: HttpConfig['rateLimit'];
  if (options.rateLimit !== undefined) {
    const { requestsPerSecond, burst = Math.max(1, Math.ceil(requestsPerSecond)) } = options.rateLimit;
    if (typeof requestsPerSecond !== 'number' || !(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
      throw new RangeError('rateLimit.requestsPerSecond: expected a number > 0');
    }
    if (!Number.isSafeInteger(burst) || burst < 1) throw new RangeError('rateLimit.burst: expected an integer >= 1');
    rateLimit = Object.freeze({ requestsPerSecond, burst });
  }
  let cors: HttpConfig['cors'];
  if (options.cors !== undefined) {
    const origins = options.cors.origins;
    if (!Array.isArray(origins) || origins.length === 0 || !origins.every((o) => typeof o === 'string' && o !== '')) {
      throw new RangeError('cors.origins: expected a non-empty list of origins');
    }
    cors = Object.freeze({ origins: Object.freeze([...origins]) });
  }
  const logLevel = options.logLevel ?? HTTP_DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new RangeError(`logLevel: expected one of ${LOG_LEVELS.join(', ')}`);
  return Object.freeze({
    auth: compiledAuth,
    bodyLimit: int('bodyLimit', 1),
    maxImagesPerRequest: int('maxImagesPerRequest', 1),
    maxParamLength: int('maxParamLength', 16),
    maxHeaderSize: int('maxHeaderSize', 1024),
    connectionTimeoutMs: int('connectionTimeoutMs', 0),
    keepAliveTimeoutMs: int('keepAliveTimeoutMs', 1),
    requestTimeoutMs: int('requestTimeoutMs', 0),
    maxConnections: int('maxConnections', 1),
    rateLimit,
    cors,
    logLevel,
  });
}
