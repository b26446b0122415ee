/** Options of `createPostgresRegistryStore`. */
export interface PostgresRegistryStoreOptions {
  /** Most connections the store's pool opens. @default 10 */
  maxConnections?: number;
  /** How long to wait for a connection (network, authentication, a free pool slot) before failing, in ms. @default 10000 */
  connectTimeoutMs?: number;
  /** How long an idle pooled connection is kept open, in ms. @default 10000 */
  idleTimeoutMs?: number;
  /** `application_name` the server shows in pg_stat_activity. @default 'tachyon' */
  applicationName?: string;
}

export interface PostgresRegistryStoreConfig {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly applicationName: string;
}

export const POSTGRES_STORE_DEFAULTS: PostgresRegistryStoreConfig = Object.freeze({
  maxConnections: 10,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  applicationName: 'tachyon',
});

export function compilePostgresStoreOptions(options: PostgresRegistryStoreOptions = {}): PostgresRegistryStoreConfig {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const config = { ...POSTGRES_STORE_DEFAULTS };
  const int = (key: 'maxConnections' | 'connectTimeoutMs' | 'idleTimeoutMs', min: number): void => {
    const value = options[key];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      throw new TypeError(`options.${key} must be an integer`);
    if (value < min) throw new RangeError(`options.${key} must be >= ${min}, got ${value}`);
    config[key] = value;
  };
  int('maxConnections', 1);
  int('connectTimeoutMs', 1);
  int('idleTimeoutMs', 1);
  if (options.applicationName !== undefined) {
    if (typeof options.applicationName !== 'string') throw new TypeError('options.applicationName must be a string');
    config.applicationName = options.applicationName;
  }
  return Object.freeze(config);
}
