import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sampleImagesDir } from '@tachyon-serve/test-support';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * Five ImageNet super-classes built from ../shared/images/imagenet-sample (one image per ImageNet class, so every
 * image of a group is a different synset and validation images are synsets the head never saw):
 * - birds: 7-24 (cock .. great grey owl) and 80-100 (black grouse .. black swan), 39 images
 * - reptiles: 33-50 (turtles, lizards, crocodilians) and 52-68 (snakes), 35 images (51 triceratops left out)
 * - dogs: 151-190 (Chihuahua .. Sealyham terrier), 40 images
 * - insects: 300-326 (beetles, fly, bee, ant, grasshopper .. butterflies), 27 images
 * - road vehicles: 28 cars, buses, trucks and tractors (ids below; rail vehicles, bicycles and boats left out)
 */
export const SUPERCLASSES: Readonly<Record<string, readonly number[]>> = Object.freeze({
  birds: [...range(7, 24), ...range(80, 100)],
  dogs: range(151, 190),
  insects: range(300, 326),
  reptiles: [...range(33, 50), ...range(52, 68)],
  vehicles: [
    407, 436, 468, 511, 555, 569, 573, 575, 581, 586, 595, 609, 627, 654, 656, 661, 675, 717, 734, 751, 757, 779, 803,
    817, 864, 866, 867, 874,
  ],
});

/** Writes `<dir>/<superclass>/<image>` symlinks to the sample images; returns the image count per class. */
export async function writeSuperclassDataset(dir: string): Promise<Record<string, number>> {
  const source = sampleImagesDir();
  const fileByIndex = new Map<number, string>();
  for (const line of (await readFile(join(source, 'labels.tsv'), 'utf8')).split('\n').slice(1)) {
    const [file, index] = line.split('\t');
    if (file && index) fileByIndex.set(Number(index), file);
  }
  const counts: Record<string, number> = {};
  for (const [name, indices] of Object.entries(SUPERCLASSES)) {
    await mkdir(join(dir, name), { recursive: true });
    for (const index of indices) {
      const file = fileByIndex.get(index);
      if (file === undefined) throw new Error(`labels.tsv has no image for class ${index}`);
      await symlink(join(source, file), join(dir, name, file));
    }
    counts[name] = indices.length;
  }
  return counts;
}
