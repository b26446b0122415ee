import { createHash } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashFileInto } from './sha256-file.js';
import type { DownloadProgress } from './model-sources.js';

export interface DownloadRequest {
  id: string;
  url: string;
  /** Final path; bytes go to `<dest>.part` first and are renamed only once the sha256 matches. */
  dest: string;
  sha256: string;
  size: number;
  retries: number;
  onProgress: ((progress: DownloadProgress) => void) | undefined;
}

/**
 * Downloads with resume (HTTP Range from what `<dest>.part` holds) and retries, verifies sha256 over the whole file,
 * then renames atomically. Throws an Error whose message says why the last attempt failed.
 */
export async function downloadVerified(request: DownloadRequest): Promise<void> {
  const part = `${request.dest}.part`;
  let lastError: Error = new Error('no attempt made');
  for (let attempt = 1; attempt <= request.retries; attempt++) {
    try {
      await fetchInto(request, part);
      const hash = createHash('sha256');
      await hashFileInto(hash, part);
      const actual = hash.digest('hex');
      if (actual !== request.sha256) {
        await rm(part, { force: true });
        // A wrong file will not get better by downloading it again.
        throw Object.assign(new Error(`sha256 mismatch (expected ${request.sha256}, got ${actual})`), { final: true });
      }
      await rename(part, request.dest);
      return;
    } catch (error) {
      lastError = error as Error;
      if ((error as { final?: boolean }).final) break;
      if (attempt < request.retries) await sleep(200 * 2 ** attempt);
    }
  }
  throw lastError;
}

async function fetchInto(request: DownloadRequest, part: string): Promise<void> {
  const have = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  if (have === request.size) return;
  if (have > request.size) await rm(part, { force: true });
  const from = have > request.size ? 0 : have;
  const response = await fetch(request.url, {
    headers: from > 0 ? { range: `bytes=${from}-` } : {},
    redirect: 'follow',
  });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status} from ${request.url}`);
  // A server that ignores Range sends the whole file again: start over.
  const resumed = from > 0 && response.status === 206;
  let received = resumed ? from : 0;
  // Each chunk is written before the next is read, so whatever arrived before a dropped connection is kept for
  // the next attempt to resume from.
  const file = await open(part, resumed ? 'a' : 'w');
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      received += chunk.length;
      request.onProgress?.({ id: request.id, received, total: request.size });
    }
  } finally {
    await file.close();
  }
  if (received !== request.size) throw new Error(`incomplete download: ${received} of ${request.size} bytes`);
}
