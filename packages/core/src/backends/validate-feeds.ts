import { TachyonError } from '@tachyon-serve/protocol';
import { DTYPES, elementCount } from '../tensor/dtypes.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import type { IoSpec } from './backend.js';

/**
 * Checks feeds against the model's inputs: no unknown or missing names, same dtype, compatible dims, exact data
 * length. Returns the feeds in the order of `inputs`.
 */
export function validateFeeds(inputs: readonly IoSpec[], feeds: TensorMap): TensorData[] {
  // Names are checked without building a set: this runs on every call.
  let given = 0;
  for (const name in feeds) {
    given++;
    if (given > inputs.length || !inputs.some((i) => i.name === name)) {
      const expected = inputs.map((i) => i.name);
      const unknown = Object.keys(feeds).find((n) => !expected.includes(n)) ?? name;
      throw new TachyonError('TCH_ERR_TENSOR_INPUT_UNKNOWN', `The model has no input named "${unknown}".`, {
        details: { input: unknown, expected },
      });
    }
  }
  const ordered = new Array<TensorData>(inputs.length);
  let index = 0;
  for (const input of inputs) {
    const feed = feeds[input.name];
    if (feed === undefined) {
      throw new TachyonError('TCH_ERR_TENSOR_INPUT_MISSING', `Input "${input.name}" is missing.`, {
        details: { input: input.name },
      });
    }
    if (feed.dtype !== input.dtype || !(feed.data instanceof DTYPES[input.dtype])) {
      if (feed.dtype === input.dtype) {
        throw new TachyonError(
          'TCH_ERR_TENSOR_DTYPE_MISMATCH',
          `Input "${input.name}" is ${input.dtype} but its data is a ${feed.data.constructor.name}, not a ${DTYPES[input.dtype].name}.`,
          {
            details: { input: input.name, expected: DTYPES[input.dtype].name, actual: feed.data.constructor.name },
          },
        );
      }
      throw new TachyonError(
        'TCH_ERR_TENSOR_DTYPE_MISMATCH',
        `Input "${input.name}" must be ${input.dtype}, got ${feed.dtype}.`,
        {
          details: { input: input.name, expected: input.dtype, actual: feed.dtype },
        },
      );
    }
    let fits = feed.dims.length === input.dims.length;
    for (let i = 0; fits && i < feed.dims.length; i++) {
      const d = feed.dims[i]!;
      fits = Number.isInteger(d) && d >= 0 && (input.dims[i]! < 0 || input.dims[i] === d);
    }
    if (!fits) {
      throw new TachyonError(
        'TCH_ERR_TENSOR_SHAPE_MISMATCH',
        `Input "${input.name}" must have shape [${input.dims.join(', ')}], got [${feed.dims.join(', ')}].`,
        { details: { input: input.name, expected: input.dims, actual: feed.dims } },
      );
    }
    if (feed.data.length !== elementCount(feed.dims)) {
      throw new TachyonError(
        'TCH_ERR_TENSOR_SHAPE_MISMATCH',
        `Input "${input.name}" has ${feed.data.length} elements but shape [${feed.dims.join(', ')}] needs ${elementCount(feed.dims)}.`,
        { details: { input: input.name, dims: feed.dims, length: feed.data.length } },
      );
    }
    ordered[index++] = feed;
  }
  return ordered;
}
