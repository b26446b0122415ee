import { TachyonError } from '@tachyon-serve/protocol';

export interface TopKEntry {
  index: number;
  label: string;
  /** A probability in [0, 1]. */
  score: number;
}

export type OutputKind = 'logits' | 'probabilities';

/** Numerically stable softmax of one row. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/**
 * The k best classes of one output row, best first, as probabilities (softmax applied when the model outputs logits).
 * Ties keep the lower index first.
 */
export function topK(
  row: ArrayLike<number>,
  k: number,
  labels: readonly string[],
  outputKind: OutputKind,
): TopKEntry[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k: expected an integer >= 1, got ${k}`);
  if (labels.length !== row.length) {
    throw new TachyonError(
      'TCH_ERR_LABELS_MISMATCH',
      `The model outputs ${row.length} classes but ${labels.length} labels were given.`,
      {
        details: { outputs: row.length, labels: labels.length },
      },
    );
  }
  const scores = outputKind === 'logits' ? softmax(row) : row;
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (best.length === k && scores[i]! <= scores[best[k - 1]!]!) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && scores[best[at - 1]!]! < scores[i]!) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = i;
  }
  return best.map((index) => ({ index, label: labels[index]!, score: scores[index]! }));
}
