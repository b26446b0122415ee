import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Feeds a file into a hash, streaming (models can be hundreds of MB). */
export async function hashFileInto(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await hashFileInto(hash, path);
  return hash.digest('hex');
}
