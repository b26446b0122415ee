import { createHash, randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import yazl from 'yazl';
import { hashFileInto } from '../zoo/sha256-file.js';
import type { FileEntry, ServiceManifest } from './manifest.js';
import { validateManifestSchema } from './validate-manifest-schema.js';
import { validateManifestSemantics } from './validate-manifest-semantics.js';

/** The manifest entry of a zip: always the first entry, at the root. */
export const MANIFEST_FILE = 'service.json';

/** A file to pack: its path inside the zip and either its bytes or a file to stream them from. */
export type ServiceZipFile = { path: string; bytes: Uint8Array } | { path: string; sourcePath: string };

/** service.json as the caller writes it; `files` is computed from what is packed. */
export type ServiceManifestDraft = Omit<ServiceManifest, 'files'>;

export interface CreateServiceZipOptions {
  /** zlib deflate level of every entry, 0 (store) to 9. @default 6 */
  compressionLevel?: number;
}

export interface CreatedServiceZip {
  /** Absolute path of the zip. */
  path: string;
  /** The manifest as written, `files` included. */
  manifest: ServiceManifest;
  /** sha256 of the zip itself (what the registry and the extraction cache key on). */
  sha256: string;
  size: number;
}

/** yazl 3's options; @types/yazl still describes yazl 2. */
interface YazlEntryOptions {
  mtime: Date;
  mode: number;
  compress: boolean;
  compressionLevel: number;
  forceDosTimestamp: boolean;
  size?: number;
}
interface YazlZipFile extends EventEmitter {
  outputStream: Readable;
  addBuffer(buffer: Buffer, metadataPath: string, options: YazlEntryOptions): void;
  addReadStreamLazy(
    metadataPath: string,
    options: YazlEntryOptions,
    get: (cb: (err: Error | null, stream: Readable) => void) => void,
  ): void;
  end(): void;
}

/**
 * Writes a service-definition zip: service.json (pretty JSON, first) then the files sorted by path, each with its
 * sha256 and size recorded in `manifest.files`. The manifest is validated (both passes, without model io) before
 * anything is written. Entry order, mtimes (the manifest's `createdAt`, as DOS time in UTC) and modes are fixed,
 * so the same definition always gives the same bytes, whether files come as bytes or paths. Written to a temporary
 * file beside `path` and renamed over it, so readers never see a partial zip.
 */
export async function createServiceZip(
  path: string,
  manifest: ServiceManifestDraft,
  files: readonly ServiceZipFile[],
  options: CreateServiceZipOptions = {},
): Promise<CreatedServiceZip> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string.');
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest))
    throw new TypeError('manifest must be an object.');
  if (!Array.isArray(files)) throw new TypeError('files must be an array.');
  files.forEach(checkFileArgument);
  const level = options.compressionLevel ?? 6;
  if (!Number.isInteger(level) || level < 0 || level > 9)
    throw new RangeError(`options.compressionLevel must be an integer 0..9, not ${level}.`);

  const entries = await Promise.all(files.map(describeFile));
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const full = validateManifestSemantics(validateManifestSchema({ ...manifest, files: entries }));
  const json = Buffer.from(`${JSON.stringify(full, null, 2)}\n`, 'utf8');
  const sources = new Map(files.map((f) => [f.path, f]));

  const target = resolve(path);
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  await mkdir(dirname(target), { recursive: true });
  try {
    const zipHash = createHash('sha256');
    let size = 0;
    const zip = new yazl.ZipFile() as unknown as YazlZipFile;
    const entryOptions: YazlEntryOptions = {
      mtime: dosMtime(full.createdAt),
      mode: 0o100644,
      compress: level > 0,
      compressionLevel: level,
      forceDosTimestamp: true,
    };
    zip.addBuffer(json, MANIFEST_FILE, entryOptions);
    for (const entry of full.files) {
      const source = sources.get(entry.path)!;
      zip.addReadStreamLazy(entry.path, { ...entryOptions, size: entry.size }, (cb) =>
        cb(null, openVerified(source, entry)),
      );
    }
    zip.end();
    const failed = new Promise<never>((_, reject) => zip.once('error', reject));
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        zipHash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    const written = pipeline(zip.outputStream, tee, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    try {
      await Promise.race([written, failed]);
    } catch (err) {
      zip.outputStream.destroy();
      await written.catch(() => undefined);
      throw err;
    }
    const handle = await open(tmp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
    return { path: target, manifest: full, sha256: zipHash.digest('hex'), size };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function checkFileArgument(file: ServiceZipFile, i: number): void {
  if (typeof file !== 'object' || file === null) throw new TypeError(`files[${i}] must be an object.`);
  if (typeof file.path !== 'string') throw new TypeError(`files[${i}].path must be a string.`);
  const bytes = hasBytes(file);
  const hasSource = 'sourcePath' in file && file.sourcePath !== undefined;
  if (bytes === hasSource) throw new TypeError(`files[${i}] must have exactly one of bytes and sourcePath.`);
  if (bytes && !(file.bytes instanceof Uint8Array)) throw new TypeError(`files[${i}].bytes must be a Uint8Array.`);
  if (hasSource && (typeof file.sourcePath !== 'string' || file.sourcePath === '')) {
    throw new TypeError(`files[${i}].sourcePath must be a non-empty string.`);
  }
}

async function describeFile(file: ServiceZipFile): Promise<FileEntry> {
  if (hasBytes(file)) {
    return {
      path: file.path,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
      size: file.bytes.byteLength,
    };
  }
  const hash = createHash('sha256');
  try {
    const { size } = await stat(file.sourcePath);
    await hashFileInto(hash, file.sourcePath);
    return { path: file.path, sha256: hash.digest('hex'), size };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new TachyonError(
        'TCH_ERR_IO_NOT_FOUND',
        `The file '${file.sourcePath}' for '${file.path}' does not exist.`,
        { cause: err },
      );
    }
    throw err;
  }
}

function hasBytes(file: ServiceZipFile): file is { path: string; bytes: Uint8Array } {
  return 'bytes' in file && file.bytes !== undefined;
}

/** The file's bytes, checked again while packed: a source file changed since it was hashed fails the zip. */
function openVerified(file: ServiceZipFile, entry: FileEntry): Readable {
  const source = hasBytes(file)
    ? Readable.from([Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength)])
    : createReadStream(file.sourcePath);
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const sha256 = hash.digest('hex');
      cb(
        sha256 === entry.sha256
          ? null
          : new TachyonError(
              'TCH_ERR_SVCDEF_CHECKSUM_MISMATCH',
              `The file for '${entry.path}' changed while it was packed.`,
              {
                details: { path: entry.path, expected: entry.sha256, actual: sha256 },
              },
            ),
      );
    },
  });
  source.on('error', (err: Error) => check.destroy(err));
  return source.pipe(check);
}

/**
 * The DOS mtime of every entry: `createdAt` in UTC. DOS time has no zone and yazl encodes a Date's local fields, so
 * the Date is built from the UTC fields to give the same bytes on every machine.
 */
function dosMtime(createdAt: string): Date {
  const t = new Date(createdAt);
  return new Date(
    t.getUTCFullYear(),
    t.getUTCMonth(),
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  );
}
