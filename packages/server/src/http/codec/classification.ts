import type { InferTensor } from '../../inference/infer-types.js';

export interface TopEntry {
  index: number;
  label: string;
  score: number;
}

/** The classification extension's BYTES output [N, K] of "score:index:label" strings, as N lists of entries. */
export function fromClassificationTensor(tensor: InferTensor): TopEntry[][] {
  const [rows = 0, k = 0] = tensor.shape;
  const data = tensor.data as Uint8Array[];
  const result: TopEntry[][] = [];
  for (let i = 0; i < rows; i++) {
    const top: TopEntry[] = [];
    for (let j = 0; j < k; j++) top.push(parseClassification(Buffer.from(data[i * k + j]!).toString('utf8')));
    result.push(top);
  }
  return result;
}

/** "0.8125:281:tabby, tabby cat" -> { score, index, label }; the label may itself hold colons. */
export function parseClassification(entry: string): TopEntry {
  const first = entry.indexOf(':');
  const second = entry.indexOf(':', first + 1);
  const score = Number(entry.slice(0, first));
  const index = Number(second < 0 ? entry.slice(first + 1) : entry.slice(first + 1, second));
  return { index, label: second < 0 ? '' : entry.slice(second + 1), score };
}
