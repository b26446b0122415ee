import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { FileEntry, ServiceManifest } from './manifest.js';
import { MANIFEST_FILE } from './create-service-zip.js';
import { validateManifestSchema } from './validate-manifest-schema.js';
import { validateManifestSemantics } from './validate-manifest-semantics.js';
import { buildInvalidError, summarizeIssues, toIssuePath, type ValidationIssue } from './validation-issue.js';
import { isDirectoryEntry, quoteEntryName, unsafeEntryName, unsafeEntryType } from './zip-entry-checks.js';
import type { ZipLimitsConfig } from './zip-limits.js';

/** Where the verified bytes of one listed file go; resolved once the file has been written and verified. */
export type FileSink = (file: FileEntry) => Promise<Writable>;

export interface UnpackedServiceZip {
  manifest: ServiceManifest;
  /** service.json exactly as stored in the zip. */
  manifestBytes: Buffer;
}

/** yauzl 3 API that @types/yauzl (2.x) does not describe. */
const getFileNameLowLevel = (
  yauzl as unknown as {
    getFileNameLowLevel(flag: number, raw: Buffer, extraFields: Entry['extraFields'], strict: boolean): string;
  }
).getFileNameLowLevel;

/**
 * The one reading path of service-definition zips. In order: entry count cap; every entry's name and type
 * (unsafe ones all reported at once) and the declared-size caps; service.json read (size-capped), parsed and
 * validated (both passes, without model io); the zip's files must be exactly `manifest.files` and have its sizes;
 * then each file streams into `sink` while its real bytes are counted against the caps and hashed, and a file
 * whose sha256 or size differs from the manifest fails the whole read.
 */
export async function unpackServiceZip(
  zipPath: string,
  limits: ZipLimitsConfig,
  sink: FileSink,
): Promise<UnpackedServiceZip> {
  const zip = await openZip(zipPath);
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw tooLarge(`The zip has ${zip.entryCount} entries; at most ${limits.maxEntries} are accepted.`, {
        entries: zip.entryCount,
        maxEntries: limits.maxEntries,
      });
    }
    const entries = await scanEntries(zip, limits);
    const manifestEntry = entries.get(MANIFEST_FILE);
    if (manifestEntry === undefined)
      throw buildInvalidError([{ path: '', message: `the zip has no '${MANIFEST_FILE}' at its root` }], 'zip');
    if (manifestEntry.uncompressedSize > limits.maxManifestBytes) {
      throw tooLarge(
        `'${MANIFEST_FILE}' has ${manifestEntry.uncompressedSize} bytes; at most ${limits.maxManifestBytes} are accepted.`,
        {
          size: manifestEntry.uncompressedSize,
          maxManifestBytes: limits.maxManifestBytes,
        },
      );
    }
    const manifestBytes = await readEntry(zip, manifestEntry, MANIFEST_FILE, limits);
    const manifest = validateManifestSemantics(validateManifestSchema(parseManifest(manifestBytes)));
    checkListing(manifest, entries);
    const byPath = new Map(manifest.files.map((f) => [f.path, f]));
    // Zip order, so the file is read front to back.
    for (const [name, entry] of entries) {
      const file = byPath.get(name);
      if (file !== undefined) await copyVerified(zip, entry, file, limits, sink);
    }
    return { manifest, manifestBytes };
  } finally {
    zip.close();
  }
}

function openZip(zipPath: string): Promise<ZipFile> {
  const options = {
    lazyEntries: true,
    autoClose: false,
    decodeStrings: false,
    validateEntrySizes: true,
    strictFileNames: true,
  };
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, options, (err, zip) => {
      if (err === null) return resolve(zip);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        reject(new TachyonError('TCH_ERR_IO_NOT_FOUND', `The zip '${zipPath}' does not exist.`, { cause: err }));
      else if (code !== undefined) reject(err);
      else reject(corrupt(`'${zipPath}' is not a readable zip archive`, err));
    });
  });
}

/** Reads the central directory: names, types, duplicates and the declared-size caps. Returns entries by name. */
function scanEntries(zip: ZipFile, limits: ZipLimitsConfig): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  const unsafe: ValidationIssue[] = [];
  let declaredTotal = 0;
  return new Promise((resolve, reject) => {
    zip.on('error', (err: Error) => reject(corrupt('the zip central directory is damaged', err)));
    zip.on('end', () => (unsafe.length > 0 ? reject(unsafeArchive(unsafe)) : resolve(entries)));
    zip.on('entry', (entry: Entry) => {
      try {
        const raw = entry.fileName as unknown as Buffer;
        const name = getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, true);
        const reason =
          unsafeEntryName(name) ?? unsafeEntryType(entry) ?? (entries.has(name) ? 'is a duplicate name' : undefined);
        if (reason !== undefined) unsafe.push({ path: name, message: `${quoteEntryName(name)} ${reason}` });
        else if (!isDirectoryEntry(name)) entries.set(name, entry);
        declaredTotal += entry.uncompressedSize;
        if (declaredTotal > limits.maxTotalBytes) {
          throw tooLarge(`The zip declares more than ${limits.maxTotalBytes} uncompressed bytes.`, {
            maxTotalBytes: limits.maxTotalBytes,
          });
        }
        checkRatio(name, entry.uncompressedSize, entry.compressedSize, limits);
        zip.readEntry();
      } catch (err) {
        reject(err);
      }
    });
    zip.readEntry();
  });
}

function checkRatio(name: string, uncompressed: number, compressed: number, limits: ZipLimitsConfig): void {
  if (uncompressed <= limits.compressionRatioMinBytes) return;
  if (uncompressed <= limits.maxCompressionRatio * compressed) return;
  throw tooLarge(
    `The entry ${quoteEntryName(name)} expands from ${compressed} to ${uncompressed} bytes, past the ${limits.maxCompressionRatio}:1 compression ratio cap.`,
    {
      entry: name,
      compressedSize: compressed,
      uncompressedSize: uncompressed,
      maxCompressionRatio: limits.maxCompressionRatio,
    },
  );
}

/** The zip holds exactly the listed files (plus service.json and directory entries), with the listed sizes. */
function checkListing(manifest: ServiceManifest, entries: ReadonlyMap<string, Entry>): void {
  const listed = new Set(manifest.files.map((f) => f.path));
  const unsafe: ValidationIssue[] = [];
  for (const name of entries.keys()) {
    if (name !== MANIFEST_FILE && !listed.has(name))
      unsafe.push({ path: name, message: `${quoteEntryName(name)} is not listed in service.json files` });
  }
  manifest.files.forEach((file, i) => {
    if (!entries.has(file.path))
      unsafe.push({
        path: toIssuePath(['files', i, 'path']),
        message: `'${file.path}' is listed in service.json files but missing from the zip`,
      });
  });
  if (unsafe.length > 0) throw unsafeArchive(unsafe);
  const mismatched = manifest.files.filter((f) => entries.get(f.path)!.uncompressedSize !== f.size);
  if (mismatched.length > 0) {
    const issues = mismatched.map((f) => ({
      path: f.path,
      message: `'${f.path}' has ${entries.get(f.path)!.uncompressedSize} bytes in the zip, not the ${f.size} service.json states`,
    }));
    throw new TachyonError('TCH_ERR_SVCDEF_CHECKSUM_MISMATCH', `The zip has ${summarizeIssues(issues)}`, {
      details: { issues },
    });
  }
}

async function copyVerified(
  zip: ZipFile,
  entry: Entry,
  file: FileEntry,
  limits: ZipLimitsConfig,
  sink: FileSink,
): Promise<void> {
  const hash = createHash('sha256');
  const counter = byteGuard(file.path, entry, limits, (chunk) => hash.update(chunk));
  // The sink first: once yauzl's stream is open its size check may fire, and the pipeline must be listening by then.
  const out = await sink(file);
  let stream: Readable;
  try {
    stream = await openStream(zip, entry, file.path);
  } catch (err) {
    out.destroy();
    throw err;
  }
  await runPipeline(file.path, stream, counter, out);
  const sha256 = hash.digest('hex');
  if (sha256 !== file.sha256 || counter.bytes !== file.size) {
    throw new TachyonError(
      'TCH_ERR_SVCDEF_CHECKSUM_MISMATCH',
      `The file '${file.path}' in the zip does not have the sha256 service.json states.`,
      {
        details: {
          path: file.path,
          expected: { sha256: file.sha256, size: file.size },
          actual: { sha256, size: counter.bytes },
        },
      },
    );
  }
}

async function readEntry(zip: ZipFile, entry: Entry, name: string, limits: ZipLimitsConfig): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const counter = byteGuard(name, entry, limits, (chunk) => chunks.push(chunk));
  await runPipeline(name, await openStream(zip, entry, name), counter);
  return Buffer.concat(chunks);
}

/** Counts the real bytes and stops as soon as they pass the declared size or the caps: the header is not trusted. */
function byteGuard(
  name: string,
  entry: Entry,
  limits: ZipLimitsConfig,
  onChunk: (chunk: Buffer) => void,
): Transform & { bytes: number } {
  const guard = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      guard.bytes += chunk.length;
      if (guard.bytes > entry.uncompressedSize) {
        return cb(
          tooLarge(`The entry ${quoteEntryName(name)} inflates past its declared ${entry.uncompressedSize} bytes.`, {
            entry: name,
            declaredSize: entry.uncompressedSize,
          }),
        );
      }
      try {
        checkRatio(name, guard.bytes, entry.compressedSize, limits);
      } catch (err) {
        return cb(err as Error);
      }
      onChunk(chunk);
      cb(null, chunk);
    },
  }) as Transform & { bytes: number };
  guard.bytes = 0;
  return guard;
}

function openStream(zip: ZipFile, entry: Entry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) =>
      err === null ? resolve(stream) : reject(corrupt(`the entry ${quoteEntryName(name)} cannot be read`, err)),
    );
  });
}

async function runPipeline(name: string, source: Readable, guard: Transform, sink?: Writable): Promise<void> {
  try {
    await (sink === undefined
      ? pipeline(source, guard, async (chunks: AsyncIterable<unknown>) => {
          for await (const _ of chunks);
        })
      : pipeline(source, guard, sink));
  } catch (err) {
    if (err instanceof TachyonError) throw err;
    const message = (err as Error).message ?? '';
    const code = (err as NodeJS.ErrnoException).code;
    // yauzl's validateEntrySizes: the inflated data disagrees with the declared size.
    if (message.startsWith('too many bytes'))
      throw tooLarge(`The entry ${quoteEntryName(name)} inflates past its declared size.`, { entry: name });
    if (message.startsWith('not enough bytes')) {
      throw new TachyonError(
        'TCH_ERR_SVCDEF_CHECKSUM_MISMATCH',
        `The entry ${quoteEntryName(name)} is shorter than its declared size.`,
        { details: { path: name } },
      );
    }
    if (code === 'EEXIST')
      throw unsafeArchive([
        { path: name, message: `${quoteEntryName(name)} collides with another entry on this file system` },
      ]);
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw corrupt(`the entry ${quoteEntryName(name)} has damaged compressed data`, err);
    throw err;
  }
}

function parseManifest(bytes: Buffer): unknown {
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch {
    throw buildInvalidError([{ path: '', message: `'${MANIFEST_FILE}' is not valid JSON` }]);
  }
}

function tooLarge(message: string, details: Record<string, unknown>): TachyonError {
  return new TachyonError('TCH_ERR_SVCDEF_ARCHIVE_TOO_LARGE', message, { details });
}

function unsafeArchive(issues: readonly ValidationIssue[]): TachyonError {
  return new TachyonError('TCH_ERR_SVCDEF_UNSAFE_ARCHIVE', `The zip has ${summarizeIssues(issues)}`, {
    details: { issues },
  });
}

/** A damaged or non-zip file: reported as an invalid definition with one issue at the document root. */
function corrupt(message: string, cause: unknown): TachyonError {
  const err = buildInvalidError([{ path: '', message }], 'zip');
  return new TachyonError(err.code, err.message, { details: err.details ?? {}, cause });
}
