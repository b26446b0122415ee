import { parseClassification, type ScoredClass } from '@tachyon/protocol';
import type { InferTensor } from '../../inference/infer-types.js';

/** The classification extension's BYTES output [N, K] of "score:index:label" strings, as N lists of entries. */
export function fromClassificationTensor(tensor: InferTensor): ScoredClass[][] {
  const [rows = 0, k = 0] = tensor.shape;
  const data = tensor.data as Uint8Array[];
  const result: ScoredClass[][] = [];
  for (let i = 0; i < rows; i++) {
    const top: ScoredClass[] = [];
    for (let j = 0; j < k; j++) top.push(parseClassification(Buffer.from(data[i * k + j]!).toString('utf8')));
    result.push(top);
  }
  return result;
}
