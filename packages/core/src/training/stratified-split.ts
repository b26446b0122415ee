import { buildSeededRandom } from './seeded-random.js';

export interface StratifiedSplit {
  /** Indices into the labels given, train and validation, each in a seeded shuffled order. */
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

/**
 * Splits each class on its own so both parts keep the class proportions: a class of n samples gives
 * round(n * fraction) to validation, at least 1 and at most n - 1 (none when fraction is 0). The same labels,
 * fraction and seed always give the same split.
 */
export function buildStratifiedSplit(labels: readonly number[], fraction: number, seed: number): StratifiedSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validationSplit must be in [0, 1), not ${fraction}.`);
  const random = buildSeededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const members = byClass.get(label) ?? [];
    members.push(index);
    byClass.set(label, members);
  });
  const train: number[] = [];
  const validation: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = random.shuffle(byClass.get(label)!);
    const n = members.length;
    const count = fraction === 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    validation.push(...members.slice(0, count));
    train.push(...members.slice(count));
  }
  return { train: random.shuffle(train), validation: random.shuffle(validation) };
}
