import { TachyonError } from '@tachyon/protocol';
import { elementCount } from '../tensor/dtypes.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { IoSpec } from './backend.js';

/** Checks feeds against the model's inputs: no unknown or missing names, same dtype, compatible dims, exact data length. */
export function validateFeeds(inputs: readonly IoSpec[], feeds: TensorMap): void {
  const expected = new Set(inputs.map((i) => i.name));
  for (const name of Object.keys(feeds)) {
    if (!expected.has(name)) {
      throw new TachyonError('TCH_ERR_TENSOR_INPUT_UNKNOWN', `The model has no input named "${name}".`, {
        details: { input: name, expected: [...expected] },
      });
    }
  }
  for (const input of inputs) {
    const feed = feeds[input.name];
    if (feed === undefined) {
      throw new TachyonError('TCH_ERR_TENSOR_INPUT_MISSING', `Input "${input.name}" is missing.`, { details: { input: input.name } });
    }
    if (feed.dtype !== input.dtype) {
      throw new TachyonError('TCH_ERR_TENSOR_DTYPE_MISMATCH', `Input "${input.name}" must be ${input.dtype}, got ${feed.dtype}.`, {
        details: { input: input.name, expected: input.dtype, actual: feed.dtype },
      });
    }
    const fits =
      feed.dims.length === input.dims.length &&
      input.dims.every((d, i) => d < 0 || d === feed.dims[i]) &&
      feed.dims.every((d) => Number.isInteger(d) && d >= 0);
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
  }
}
