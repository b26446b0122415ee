import {
  IMAGE_INPUT,
  SCORES_OUTPUT,
  TachyonError,
  rawBytesLength,
  writeRawBytes,
  type KServeInferRequestJson,
  type KServeInferResponseJson,
  type KServeTensorJson,
} from '@tachyon-serve/protocol';

/** The header naming the JSON part's length in a KServe v2 binary-data request or response (from @tachyon-serve/protocol). */
export { INFERENCE_HEADER } from '@tachyon-serve/protocol';

/**
 * A KServe v2 binary-data request: JSON header, then the BYTES tensor `images` as (uint32 little-endian length,
 * bytes) per element, asking for `scores` back as raw little-endian FP32.
 */
export function encodeImagesRequest(
  images: readonly Uint8Array[],
  output = SCORES_OUTPUT,
): { body: Buffer; headerLength: number } {
  const size = rawBytesLength(images);
  const request: KServeInferRequestJson = {
    inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES', shape: [images.length], parameters: { binary_data_size: size } }],
    outputs: [{ name: output, parameters: { binary_data: true } }],
  };
  const header = Buffer.from(JSON.stringify(request));
  const body = Buffer.allocUnsafe(header.length + size);
  header.copy(body, 0);
  writeRawBytes(images, body, header.length);
  return { body, headerLength: header.length };
}

type OutputHeader = KServeTensorJson;

/** Decodes the FP32 output `name` of shape [N, C] from a binary-data or plain JSON response: one row per image. */
export function decodeScores(body: Buffer, headerLength: number | undefined, name = SCORES_OUTPUT): Float32Array[] {
  const json = headerLength === undefined ? body : body.subarray(0, headerLength);
  let header: Partial<KServeInferResponseJson>;
  try {
    header = JSON.parse(json.toString('utf8')) as Partial<KServeInferResponseJson>;
  } catch (cause) {
    throw bad('The inference response header is not JSON.', {}, cause);
  }
  const outputs = Array.isArray(header.outputs) ? header.outputs : [];
  let offset = headerLength ?? body.length;
  let found: { output: OutputHeader; values: Float32Array } | undefined;
  for (const output of outputs) {
    const size = output.parameters?.binary_data_size;
    if (size !== undefined) {
      if (output.name === name) {
        if (output.datatype !== 'FP32' || size % 4 !== 0 || offset + size > body.length) {
          throw bad(`Output "${name}" is not FP32 data of the declared size.`, { datatype: output.datatype, size });
        }
        // Copy: the slice may not be 4-byte aligned within the body.
        const bytes = Uint8Array.prototype.slice.call(body, offset, offset + size);
        found = { output, values: new Float32Array(bytes.buffer, 0, size / 4) };
      }
      offset += size;
    } else if (output.name === name) {
      if (!Array.isArray(output.data)) throw bad(`Output "${name}" has no data.`, {});
      found = { output, values: Float32Array.from(output.data as number[]) };
    }
  }
  if (!found) throw bad(`The response has no output "${name}".`, { outputs: outputs.map((o) => o.name) });
  const [rows, columns] = found.output.shape;
  if (
    found.output.shape.length !== 2 ||
    rows === undefined ||
    columns === undefined ||
    rows * columns !== found.values.length
  ) {
    throw bad(`Output "${name}" has shape [${found.output.shape.join(', ')}] and ${found.values.length} values.`, {
      shape: found.output.shape,
    });
  }
  const result: Float32Array[] = [];
  for (let i = 0; i < rows; i++) result.push(found.values.subarray(i * columns, (i + 1) * columns));
  return result;
}

function bad(message: string, details: Record<string, unknown>, cause?: unknown): TachyonError {
  return new TachyonError('TCH_ERR_CLIENT_BAD_RESPONSE', message, {
    details,
    ...(cause === undefined ? {} : { cause }),
  });
}
