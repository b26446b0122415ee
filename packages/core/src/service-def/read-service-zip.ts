import { Writable } from 'node:stream';
import type { ServiceManifest } from './manifest.js';
import { unpackServiceZip } from './unpack-service-zip.js';
import { compileZipLimits, type ZipLimits } from './zip-limits.js';

export interface ServiceZipContents {
  manifest: ServiceManifest;
  /** Every file of `manifest.files`, by path, verified against its sha256 and size. */
  files: Map<string, Uint8Array>;
}

/**
 * Reads a service-definition zip into memory, with every check of `extractServiceZip`. Meant for small
 * definitions (a Keras head, labels, a tiny model) and for tools: the loader extracts instead, because
 * onnxruntime is handed a file path for big models. Lower `limits.maxTotalBytes` to bound the memory used.
 */
export async function readServiceZip(zipPath: string, limits?: ZipLimits): Promise<ServiceZipContents> {
  if (typeof zipPath !== 'string' || zipPath === '') throw new TypeError('zipPath must be a non-empty string.');
  const config = compileZipLimits(limits);
  const files = new Map<string, Uint8Array>();
  const { manifest } = await unpackServiceZip(zipPath, config, async (file) => {
    const chunks: Buffer[] = [];
    return new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
      final(cb) {
        files.set(file.path, new Uint8Array(Buffer.concat(chunks, file.size)));
        cb();
      },
    });
  });
  // Only verified files stay: a file whose checksum failed threw before this point.
  return { manifest, files };
}
