import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { TachyonError } from '@tachyon-serve/protocol';

/** One image: a file path, or its encoded bytes (JPEG, PNG, WebP). */
export type ImageInput = string | Uint8Array;

export interface ReadImages {
  images: Uint8Array[];
  /** The file's base name for paths, `image<i>` for bytes. */
  names: string[];
}

/** Reads paths (in parallel) and passes bytes through; misuse -> TypeError naming `argument`. */
export async function readImages(input: ImageInput | readonly ImageInput[], argument = 'images'): Promise<ReadImages> {
  const list: readonly ImageInput[] = Array.isArray(input) ? input : [input as ImageInput];
  if (list.length === 0) throw new TypeError(`${argument}: expected at least one image.`);
  const images = await Promise.all(
    list.map((item, i) => {
      if (typeof item === 'string' && item !== '') {
        return readFile(item).catch((cause: NodeJS.ErrnoException) => {
          throw new TachyonError(
            'TCH_ERR_IO_NOT_FOUND',
            `Cannot read image "${item}": ${cause.code ?? cause.message}.`,
            { details: { path: item }, cause },
          );
        });
      }
      if (item instanceof Uint8Array) return Promise.resolve(item);
      throw new TypeError(`${argument}[${i}]: expected a file path, a Buffer or a Uint8Array.`);
    }),
  );
  const names = list.map((item, i) => (typeof item === 'string' ? basename(item) : `image${i}`));
  return { images, names };
}
