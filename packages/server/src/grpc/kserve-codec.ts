import { CLASSIFICATION_PARAMETER, TachyonError } from '@tachyon-serve/protocol';
import type { Datatype, InferRequest, InferResponse, InferTensor, RequestedOutput } from '@tachyon-serve/core';
import { decodeRawTensor, encodeRawTensor, isDatatype } from '../codec/raw-tensor.js';
import { parsePriority } from '@tachyon-serve/core';

/** inference.InferParameter as proto-loader decodes it (oneofs: true names the set member). */
export interface InferParameterMessage {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: number;
  string_param?: string;
  double_param?: number;
  uint64_param?: number;
}

export interface InferTensorContentsMessage {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: number[];
  uint_contents: number[];
  uint64_contents: number[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Buffer[];
}

export interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameterMessage>;
  inputs: {
    name: string;
    datatype: string;
    shape: number[];
    parameters: Record<string, InferParameterMessage>;
    contents: InferTensorContentsMessage | null;
  }[];
  outputs: { name: string; parameters: Record<string, InferParameterMessage> }[];
  raw_input_contents: Buffer[];
}

export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: Record<string, InferParameterMessage>;
  outputs: {
    name: string;
    datatype: string;
    shape: number[];
    parameters: Record<string, InferParameterMessage>;
    contents?: Partial<InferTensorContentsMessage>;
  }[];
  raw_output_contents: Buffer[];
}

/** Which repeated field of InferTensorContents carries each datatype (FP16 has none: raw only). */
const CONTENTS_FIELD: Readonly<Record<Datatype, keyof InferTensorContentsMessage | undefined>> = Object.freeze({
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
});

export interface DecodedModelInfer {
  request: InferRequest;
  /** The request carried raw_input_contents, so the response uses raw_output_contents (as Triton does). */
  raw: boolean;
}

/**
 * ModelInferRequest -> the internal InferRequest. Only the wire format is resolved here (typed contents or
 * raw_input_contents, classification parameters); what the model accepts is checked by infer()'s validator, the same
 * one every protocol goes through.
 */
export function decodeModelInferRequest(message: ModelInferRequestMessage, requestId: string): DecodedModelInfer {
  const raw = message.raw_input_contents.length > 0;
  if (raw && message.raw_input_contents.length !== message.inputs.length) {
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `raw_input_contents has ${message.raw_input_contents.length} entries but the request has ${message.inputs.length} inputs; it needs one per input, in order.`,
      { details: { rawInputContents: message.raw_input_contents.length, inputs: message.inputs.length } },
    );
  }
  const inputs: InferTensor[] = message.inputs.map((input, i) => {
    if (!isDatatype(input.datatype)) {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `Input "${input.name}" has datatype "${input.datatype}", which is not a KServe v2 datatype.`,
        {
          details: { input: input.name, datatype: input.datatype },
        },
      );
    }
    const datatype = input.datatype;
    let data: InferTensor['data'];
    if (raw) {
      if (input.contents && hasContents(input.contents)) {
        throw new TachyonError(
          'TCH_ERR_INFER_INVALID',
          `Input "${input.name}" sets contents although the request uses raw_input_contents; use one or the other.`,
          {
            details: { input: input.name },
          },
        );
      }
      data = decodeRawTensor(datatype, message.raw_input_contents[i]!, input.name);
    } else {
      data = fromContents(input.name, datatype, input.contents);
    }
    return { name: input.name, datatype, shape: input.shape, data };
  });
  const request: InferRequest = {
    id: message.id !== '' ? message.id : requestId,
    modelName: message.model_name,
    inputs,
  };
  if (message.model_version !== '') request.modelVersion = message.model_version;
  if (message.outputs.length > 0) request.outputs = message.outputs.map(toRequestedOutput);
  const priority = message.parameters['priority'];
  if (priority !== undefined) {
    const level = parsePriority(
      priority.parameter_choice === 'string_param' ? priority.string_param : parameterNumber(priority),
      'parameters["priority"]',
    );
    if (level !== undefined) request.priority = level;
  }
  return { request, raw };
}

function fromContents(
  name: string,
  datatype: Datatype,
  contents: InferTensorContentsMessage | null,
): InferTensor['data'] {
  const field = CONTENTS_FIELD[datatype];
  if (field === undefined) {
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `Input "${name}" is ${datatype}, which has no typed contents field; send it in raw_input_contents.`,
      {
        details: { input: name, datatype },
      },
    );
  }
  if (!contents) return datatype === 'BYTES' ? [] : new Float32Array(0);
  if (datatype === 'BOOL') return contents.bool_contents.map((b) => (b ? 1 : 0));
  return contents[field] as Buffer[] | number[];
}

function hasContents(contents: InferTensorContentsMessage): boolean {
  return Object.values(contents).some((v) => Array.isArray(v) && v.length > 0);
}

function toRequestedOutput(output: ModelInferRequestMessage['outputs'][number]): RequestedOutput {
  const requested: RequestedOutput = { name: output.name };
  const classification = output.parameters[CLASSIFICATION_PARAMETER];
  if (classification !== undefined) {
    const k = parameterNumber(classification);
    if (k === undefined) {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `Output "${output.name}": parameter "classification" must be an int64_param (the number of classes to return).`,
        {
          details: { output: output.name, parameter: classification.parameter_choice ?? null },
        },
      );
    }
    requested.classification = k;
  }
  return requested;
}

/** int64_param or uint64_param (Triton's clients send int64_param); anything else is not a class count. */
function parameterNumber(p: InferParameterMessage): number | undefined {
  if (p.parameter_choice === 'int64_param') return p.int64_param;
  if (p.parameter_choice === 'uint64_param') return p.uint64_param;
  return undefined;
}

/** InferResponse -> ModelInferResponse: typed contents, or raw_output_contents when the request used raw inputs. */
export function encodeModelInferResponse(response: InferResponse, raw: boolean): ModelInferResponseMessage {
  return {
    model_name: response.modelName,
    model_version: response.modelVersion,
    id: response.id ?? '',
    parameters: {},
    outputs: response.outputs.map((o) => ({
      name: o.name,
      datatype: o.datatype,
      shape: o.shape,
      parameters: {},
      ...(raw ? {} : { contents: toContents(o) }),
    })),
    raw_output_contents: raw ? response.outputs.map(encodeRawTensor) : [],
  };
}

function toContents(tensor: InferTensor): Partial<InferTensorContentsMessage> {
  const field = CONTENTS_FIELD[tensor.datatype];
  if (field === undefined)
    throw new TypeError(`tensor "${tensor.name}": ${tensor.datatype} outputs need raw_output_contents`);
  if (tensor.datatype === 'BYTES') return { bytes_contents: tensor.data as Buffer[] };
  if (tensor.datatype === 'BOOL') return { bool_contents: Array.from(tensor.data as ArrayLike<number>, Boolean) };
  return { [field]: Array.from(tensor.data as ArrayLike<number>) };
}
