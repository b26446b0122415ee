import { open, readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
import { MAX_ONNX_MODEL_BYTES, decodeOnnxModel } from '../graph/onnx-model.js';
import { unpackServiceZip } from '../service-def/unpack-service-zip.js';
import { compileZipLimits, type ZipLimits } from '../service-def/zip-limits.js';
import type { ArtifactKind } from './registry-store.js';

export interface ValidateArtifactOptions {
  /** Caps for service-definition zips. @default ZIP_LIMITS_DEFAULTS */
  zipLimits?: ZipLimits;
  /** The path named in errors (the user's file when `path` is a staged copy). @default path */
  displayPath?: string;
}

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];

/**
 * What a registered artifact is, after checking it fully: a zip must be a valid service definition (safe entries,
 * service.json passing both validation passes without model io, every file's sha256 and size verified, nothing
 * kept in memory); anything else must decode as an ONNX model with its weights inline. Otherwise
 * TCH_ERR_REGISTRY_ARTIFACT_INVALID, with the underlying code and details under `details.cause`.
 */
export async function validateArtifact(path: string, options: ValidateArtifactOptions = {}): Promise<ArtifactKind> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string.');
  const config = compileZipLimits(options.zipLimits);
  const shown = options.displayPath ?? path;
  const head = await readHead(path, shown);
  if (head.length === 0) throw invalid(shown, 'it is empty');
  if (ZIP_MAGIC.some((magic) => head.subarray(0, 4).equals(magic))) {
    try {
      await unpackServiceZip(path, config, async () => discard());
    } catch (cause) {
      throw invalid(shown, 'it is a zip but not a valid service definition', cause, path);
    }
    return 'service-definition';
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw invalid(shown, 'it cannot be read', cause, path);
  }
  if (bytes.length > MAX_ONNX_MODEL_BYTES)
    throw invalid(shown, `it is not a zip, and an ONNX model has at most ${MAX_ONNX_MODEL_BYTES} bytes`);
  try {
    decodeOnnxModel(bytes);
  } catch (cause) {
    throw invalid(shown, 'it is not a zip and does not decode as an ONNX model', cause, path);
  }
  return 'onnx';
}

async function readHead(path: string, shown: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Artifact "${shown}" does not exist or cannot be read.`, {
      details: { path: shown },
      cause,
    });
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

function invalid(path: string, reason: string, cause?: unknown, stagedPath?: string): TachyonError {
  // Inner messages name the file they read; that is the staged copy, which the user never saw.
  const unstage = (text: string) =>
    stagedPath === undefined || stagedPath === path ? text : text.split(stagedPath).join(path);
  const inner = isTachyonError(cause)
    ? {
        code: cause.code,
        message: unstage(cause.message),
        ...(cause.details === undefined
          ? {}
          : { details: JSON.parse(unstage(JSON.stringify(cause.details))) as unknown }),
      }
    : cause instanceof Error
      ? { message: unstage(cause.message) }
      : undefined;
  const text = inner?.message.replace(/\.$/, '');
  const suffix = text === undefined || text === '' ? '' : ` (${text.charAt(0).toLowerCase()}${text.slice(1)})`;
  return new TachyonError(
    'TCH_ERR_REGISTRY_ARTIFACT_INVALID',
    `Artifact "${path}" is not registrable: ${reason}${suffix}.`,
    {
      details: { path, ...(inner === undefined ? {} : { cause: inner }) },
      cause,
    },
  );
}
