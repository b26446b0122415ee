/**
 * Safety caps applied while reading a service-definition zip. Every cap is checked first on the sizes the zip
 * declares (central directory) and again on the real bytes while they stream, so a lying header cannot get past.
 */
export interface ZipLimits {
  /** Most entries (files and directory entries, service.json included). @default 1000 */
  maxEntries?: number;
  /** Most uncompressed bytes over all entries. @default 4 GiB (4 * 1024 ** 3) */
  maxTotalBytes?: number;
  /**
   * Largest uncompressed : compressed ratio of one entry, checked for entries whose uncompressed size exceeds
   * `compressionRatioMinBytes` (small files such as a JSON of zeros legitimately compress far better).
   * @default 200
   */
  maxCompressionRatio?: number;
  /** Entries up to this many uncompressed bytes are exempt from the ratio check. @default 1 MiB (1024 ** 2) */
  compressionRatioMinBytes?: number;
  /** Largest service.json, in bytes. @default 1 MiB (1024 ** 2) */
  maxManifestBytes?: number;
}

/** ZipLimits with every field set, validated and frozen; made by `compileZipLimits`. */
export interface ZipLimitsConfig extends Readonly<Required<ZipLimits>> {}

/** The one defaults object for ZipLimits. */
export const ZIP_LIMITS_DEFAULTS: ZipLimitsConfig = Object.freeze({
  maxEntries: 1000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 200,
  compressionRatioMinBytes: 1024 ** 2,
  maxManifestBytes: 1024 ** 2,
});

const KNOWN_FIELDS = new Set(Object.keys(ZIP_LIMITS_DEFAULTS));
const compiled = new WeakSet<object>();

/** Validates limits (TypeError/RangeError naming the field) and returns a frozen config with every field set. */
export function compileZipLimits(limits: ZipLimits = {}): ZipLimitsConfig {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError('limits must be an object.');
  }
  if (compiled.has(limits)) return limits as ZipLimitsConfig;
  for (const key of Object.keys(limits)) {
    if (!KNOWN_FIELDS.has(key)) throw new TypeError(`limits.${key} is not a zip limit.`);
  }
  const pick = (field: keyof ZipLimits): number => {
    const value = limits[field] ?? ZIP_LIMITS_DEFAULTS[field];
    if (typeof value !== 'number') throw new TypeError(`limits.${field} must be a number.`);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`limits.${field} must be a positive integer, not ${value}.`);
    }
    return value;
  };
  const config: ZipLimitsConfig = Object.freeze({
    maxEntries: pick('maxEntries'),
    maxTotalBytes: pick('maxTotalBytes'),
    maxCompressionRatio: pick('maxCompressionRatio'),
    compressionRatioMinBytes: pick('compressionRatioMinBytes'),
    maxManifestBytes: pick('maxManifestBytes'),
  });
  compiled.add(config);
  return config;
}
