import { readFile } from 'node:fs/promises';
import { TachyonError } from '@tachyon-serve/protocol';
import { printClassification, printError, printJson, type ScoredLabel } from './output.js';

/**
 * Classifies files in order with `classify`; a bad image (unreadable, corrupt, too large) is reported with its code
 * and skipped, the others still run. Returns the number of failures.
 */
export async function classifyFiles(
  files: readonly string[],
  classify: (bytes: Uint8Array) => Promise<readonly ScoredLabel[]>,
  json: boolean,
): Promise<number> {
  let failures = 0;
  for (const file of files) {
    try {
      printClassification(file, await classify(await readImage(file)), json);
    } catch (error) {
      if (!(error instanceof TachyonError)) throw error;
      failures++;
      if (json) printJson({ file, error: error.toJSON() });
      else printError(`${file}: error ${error.code}: ${error.message}`);
    }
  }
  return failures;
}

async function readImage(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Image "${file}" does not exist or cannot be read.`, {
      details: { file },
      cause,
    });
  }
}
