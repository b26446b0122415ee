import { CLASSIFICATION_PARAMETER, INFERENCE_HEADER, TachyonError } from '@tachyon-serve/protocol';
import type { InferRequest, InferTensor, RequestedOutput } from '@tachyon-serve/core';
import { ELEMENT_SIZE, decodeRawTensor, elementCount, isDatatype } from '../../codec/raw-tensor.js';
import { parsePriority } from '@tachyon-serve/core';

export { INFERENCE_HEADER };

export interface DecodedKServeRequest {
  request: InferRequest;
  /** Whether the named output goes back as binary data (its own `binary_data`, else the request's `binary_data_output`). */
  binaryOutput: (name: string) => boolean;
}

type Json = Record<string, unknown>;

/**
 * A KServe v2 / open inference protocol infer request: a JSON object, or (binary tensor data extension) the JSON
 * object's first `Inference-Header-Content-Length` bytes followed by each binary input's bytes in input order.
 * BYTES elements in JSON are strings (their UTF-8 bytes, as Triton reads them), base64 strings when the input has
 * `parameters.content_type: "base64"`, or `{"b64": "..."}` objects.
 */
export function decodeKServeRequest(
  body: Buffer,
  headerLength: unknown,
  target: { modelName: string; modelVersion?: string },
): DecodedKServeRequest {
  let jsonLength = body.length;
  if (headerLength !== undefined) {
    jsonLength =
      typeof headerLength === 'string' && /^\d{1,15}$/.test(headerLength.trim()) ? Number(headerLength.trim()) : NaN;
    if (!(jsonLength <= body.length)) {
      throw invalid(
        `Header "Inference-Header-Content-Length" must be an integer between 0 and the body length (${body.length}).`,
        { header: INFERENCE_HEADER },
      );
    }
  }
  const header = parseJson(body.subarray(0, jsonLength));
  const binary = body.subarray(jsonLength);
  let offset = 0;
  const rawInputs = header['inputs'];
  if (!Array.isArray(rawInputs) || rawInputs.length === 0)
    throw invalid('"inputs" must be a non-empty array.', { path: 'inputs' });
  const inputs: InferTensor[] = rawInputs.map((raw: unknown, i): InferTensor => {
    const path = `inputs[${i}]`;
    const input = object(raw, path);
    const name = input['name'];
    const datatype = input['datatype'];
    const shape = input['shape'];
    if (typeof name !== 'string' || name === '') throw invalid(`${path}.name must be a non-empty string.`, { path });
    if (!isDatatype(datatype))
      throw invalid(`${path}.datatype must be one of ${[...Object.keys(ELEMENT_SIZE), 'BYTES'].join(', ')}.`, {
        path,
        input: name,
      });
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalid(`${path}.shape must be an array of non-negative integers.`, { path, input: name });
    }
    const parameters = input['parameters'] === undefined ? {} : object(input['parameters'], `${path}.parameters`);
    const count = elementCount(shape as number[]);
    const size = parameters['binary_data_size'];
    let data: InferTensor['data'];
    if (size !== undefined) {
      if (!Number.isSafeInteger(size) || (size as number) < 0 || offset + (size as number) > binary.length) {
        throw invalid(
          `${path}.parameters.binary_data_size must be a byte count within the ${binary.length} bytes after the JSON header.`,
          { path, input: name },
        );
      }
      const bytes = binary.subarray(offset, offset + (size as number));
      offset += size as number;
      if (datatype === 'BYTES') data = decodeRawTensor('BYTES', bytes, name);
      else if (bytes.length !== count * ELEMENT_SIZE[datatype]) {
        throw invalid(
          `Input "${name}": ${bytes.length} bytes of binary data do not hold ${count} ${datatype} elements.`,
          { path, input: name },
        );
      } else data = decodeRawTensor(datatype, bytes, name);
    } else {
      const rawData = input['data'];
      if (!Array.isArray(rawData))
        throw invalid(`${path}.data must be an array (or use the binary data extension).`, { path, input: name });
      const flat: unknown[] = rawData.flat(Infinity);
      if (datatype === 'BYTES') {
        const base64 = parameters['content_type'] === 'base64';
        data = flat.map((e, j) => bytesElement(e, base64, `${path}.data[${j}]`, name));
      } else {
        data = flat.map((e, j) => {
          if (typeof e === 'number') return e;
          if (typeof e === 'boolean' && datatype === 'BOOL') return e ? 1 : 0;
          throw invalid(`${path}.data[${j}] must be a number.`, { path, input: name });
        });
      }
    }
    if (data.length !== count) {
      throw invalid(
        `Input "${name}" has ${data.length} elements but its shape [${(shape as number[]).join(', ')}] needs ${count}.`,
        { path, input: name },
      );
    }
    return { name, datatype, shape: shape as number[], data };
  });
  if (offset !== binary.length) {
    throw invalid(`${binary.length - offset} bytes after the JSON header belong to no input's binary_data_size.`, {
      extraBytes: binary.length - offset,
    });
  }
  const parameters = header['parameters'] === undefined ? {} : object(header['parameters'], 'parameters');
  const allBinary = parameters['binary_data_output'] === true;
  const binaryByName = new Map<string, boolean>();
  let outputs: RequestedOutput[] | undefined;
  if (header['outputs'] !== undefined) {
    if (!Array.isArray(header['outputs'])) throw invalid('"outputs" must be an array.', { path: 'outputs' });
    outputs = header['outputs'].map((raw: unknown, i): RequestedOutput => {
      const path = `outputs[${i}]`;
      const output = object(raw, path);
      if (typeof output['name'] !== 'string' || output['name'] === '')
        throw invalid(`${path}.name must be a non-empty string.`, { path });
      const params = output['parameters'] === undefined ? {} : object(output['parameters'], `${path}.parameters`);
      const k = params[CLASSIFICATION_PARAMETER];
      if (k !== undefined && (!Number.isSafeInteger(k) || (k as number) < 1))
        throw invalid(`${path}.parameters.${CLASSIFICATION_PARAMETER} must be an integer >= 1.`, { path });
      if (typeof params['binary_data'] === 'boolean') binaryByName.set(output['name'], params['binary_data']);
      return k === undefined ? { name: output['name'] } : { name: output['name'], classification: k as number };
    });
  }
  const priority = parsePriority(parameters['priority'], 'parameters.priority');
  const id = header['id'];
  if (id !== undefined && typeof id !== 'string') throw invalid('"id" must be a string.', { path: 'id' });
  return {
    request: {
      ...(id === undefined ? {} : { id }),
      modelName: target.modelName,
      ...(target.modelVersion === undefined ? {} : { modelVersion: target.modelVersion }),
      inputs,
      ...(outputs === undefined ? {} : { outputs }),
      ...(priority === undefined ? {} : { priority }),
    },
    binaryOutput: (name) => binaryByName.get(name) ?? allBinary,
  };
}

function bytesElement(e: unknown, base64: boolean, path: string, input: string): Uint8Array {
  if (typeof e === 'string') return Buffer.from(e, base64 ? 'base64' : 'utf8');
  if (typeof e === 'object' && e !== null && typeof (e as Json)['b64'] === 'string')
    return Buffer.from((e as Json)['b64'] as string, 'base64');
  throw invalid(`${path} must be a string or {"b64": "..."}.`, { path, input });
}

export function parseJson(bytes: Buffer): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new TachyonError('TCH_ERR_INFER_INVALID', 'The request body is not valid JSON.', { cause });
  }
  return object(value, '(body)');
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${path} must be a JSON object.`, { path });
  return value as Json;
}

function invalid(message: string, details: Record<string, unknown>): TachyonError {
  return new TachyonError('TCH_ERR_INFER_INVALID', message, { details });
}
