import {
  CLASSIFICATION_PARAMETER,
  IMAGE_INPUT,
  SCORES_OUTPUT,
  TachyonError,
  parseClassification,
  rawBytesLength,
  writeRawBytes,
  type KServeDatatype,
  type ScoredClass,
} from '@tachyon-serve/protocol';

/** inference.ModelInferResponse as proto-loader decodes it (snake_case, bytes as Buffers). */
export interface ModelInferResponseMessage {
  model_name: string;
  outputs: {
    name: string;
    datatype: KServeDatatype;
    shape: number[];
    contents?: { fp32_contents?: number[]; bytes_contents?: Buffer[] } | null;
  }[];
  raw_output_contents: Buffer[];
}

/**
 * A ModelInferRequest with the images as one BYTES tensor `images` [N] in raw_input_contents (each element a uint32
 * little-endian length, then the bytes: the KServe v2 raw layout), asking for `scores`, or for its top `classify` as
 * the classification extension's "score:index:label" strings.
 */
export function buildModelInferRequest(model: string, images: readonly Uint8Array[], classify?: number): object {
  const raw = Buffer.allocUnsafe(rawBytesLength(images));
  writeRawBytes(images, raw, 0);
  return {
    model_name: model,
    inputs: [{ name: IMAGE_INPUT, datatype: 'BYTES' satisfies KServeDatatype, shape: [images.length] }],
    outputs: [
      {
        name: SCORES_OUTPUT,
        parameters: classify === undefined ? {} : { [CLASSIFICATION_PARAMETER]: { int64_param: classify } },
      },
    ],
    raw_input_contents: [raw],
  };
}

function output(
  response: ModelInferResponseMessage,
  datatype: KServeDatatype,
): { shape: number[]; raw: Buffer | undefined; contents: ModelInferResponseMessage['outputs'][number]['contents'] } {
  const index = response.outputs.findIndex((o) => o.name === SCORES_OUTPUT);
  const found = response.outputs[index];
  if (found === undefined)
    throw bad(`The response has no output "${SCORES_OUTPUT}".`, { outputs: response.outputs.map((o) => o.name) });
  if (found.datatype !== datatype)
    throw bad(`Output "${SCORES_OUTPUT}" is ${found.datatype}, expected ${datatype}.`, { datatype: found.datatype });
  if (found.shape.length !== 2)
    throw bad(`Output "${SCORES_OUTPUT}" has shape [${found.shape.join(', ')}], expected [N, C].`, {
      shape: found.shape,
    });
  return { shape: found.shape, raw: response.raw_output_contents[index], contents: found.contents };
}

/** The FP32 `scores` [N, C] of a ModelInferResponse: one row per image. */
export function decodeGrpcScores(response: ModelInferResponseMessage): Float32Array[] {
  const { shape, raw, contents } = output(response, 'FP32');
  const [rows, columns] = shape as [number, number];
  let values: Float32Array;
  if (raw !== undefined) {
    // Copy: the Buffer may not be 4-byte aligned within its pool.
    const bytes = Uint8Array.prototype.slice.call(raw);
    if (bytes.byteLength % 4 !== 0)
      throw bad('Output "scores" is not a whole number of FP32 values.', { size: bytes.byteLength });
    values = new Float32Array(bytes.buffer, 0, bytes.byteLength / 4);
  } else {
    values = Float32Array.from(contents?.fp32_contents ?? []);
  }
  if (values.length !== rows * columns)
    throw bad(`Output "scores" has ${values.length} values for shape [${rows}, ${columns}].`, { shape });
  const result: Float32Array[] = [];
  for (let i = 0; i < rows; i++) result.push(values.subarray(i * columns, (i + 1) * columns));
  return result;
}

/** The classification extension's BYTES [N, K] "score:index:label" strings, best first, as ScoredClass rows. */
export function decodeGrpcClassification(response: ModelInferResponseMessage): ScoredClass[][] {
  const { shape, raw, contents } = output(response, 'BYTES');
  const [rows, k] = shape as [number, number];
  const strings: string[] = [];
  if (raw !== undefined) {
    for (let offset = 0; offset < raw.length; ) {
      if (offset + 4 > raw.length) throw bad('Output "scores" has a truncated BYTES element.', {});
      const length = raw.readUInt32LE(offset);
      if (offset + 4 + length > raw.length) throw bad('Output "scores" has a truncated BYTES element.', {});
      strings.push(raw.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
  } else {
    for (const b of contents?.bytes_contents ?? []) strings.push(b.toString('utf8'));
  }
  if (strings.length !== rows * k)
    throw bad(`Output "scores" has ${strings.length} classes for shape [${rows}, ${k}].`, { shape });
  const result: ScoredClass[][] = [];
  for (let i = 0; i < rows; i++) result.push(strings.slice(i * k, (i + 1) * k).map(parseClassification));
  return result;
}

function bad(message: string, details: Record<string, unknown>): TachyonError {
  return new TachyonError('TCH_ERR_CLIENT_BAD_RESPONSE', message, { details });
}
