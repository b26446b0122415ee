import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Feature vectors on disk, keyed by (extractor id, image sha256): `<dir>/<sha256(id)[0..16]>/<sha[0..2]>/<sha>.f32`
 * (raw little-endian float32), with `extractor.json` naming the id. A vector is written beside its final name and
 * renamed into place, so a reader never sees a partial file; an unreadable or malformed file is a miss.
 */
export interface FeatureCache {
  readonly dir: string;
  get(imageSha256: string): Promise<Float32Array | undefined>;
  set(imageSha256: string, features: Float32Array): Promise<void>;
}

export function buildFeatureCache(cacheDir: string, extractorId: string): FeatureCache {
  if (typeof cacheDir !== 'string' || cacheDir === '')
    throw new TypeError('featureCacheDir must be a non-empty string.');
  if (typeof extractorId !== 'string' || extractorId === '')
    throw new TypeError('featureExtractorId must be a non-empty string.');
  const dir = join(cacheDir, createHash('sha256').update(extractorId).digest('hex').slice(0, 16));
  const file = (sha: string) => {
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new TypeError('imageSha256 must be 64 lowercase hex digits.');
    return join(dir, sha.slice(0, 2), `${sha}.f32`);
  };
  let described = false;
  return {
    dir,
    async get(sha) {
      let bytes: Buffer;
      try {
        bytes = await readFile(file(sha));
      } catch {
        return undefined;
      }
      if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) return undefined;
      const features = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(features.buffer).set(bytes);
      return features;
    },
    async set(sha, features) {
      const path = file(sha);
      await mkdir(join(dir, sha.slice(0, 2)), { recursive: true });
      if (!described) {
        await writeFile(join(dir, 'extractor.json'), `${JSON.stringify({ id: extractorId })}\n`);
        described = true;
      }
      const temp = `${path}.${process.pid}.tmp`;
      try {
        await writeFile(temp, new Uint8Array(features.buffer, features.byteOffset, features.byteLength));
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    },
  };
}
