// The tensor model of bench:server's KServe scenario (issue 15 (a)): x FP32 [N, 4] -> Identity -> y, the same shape.
// Any ONNX graph whose input is not an image is a tensor model to tachyon, served over KServe v2; this one does no
// work, so what is timed is the protocol, the JSON codec, the scheduler and the worker hop.
import onnxProto from 'onnx-proto';
import { encodeOnnxModel, floatValueInfo } from '@tachyon-serve/core';

const { onnx } = onnxProto;

export const IDENTITY = Object.freeze({ input: 'x', output: 'y', width: 4 });

export function buildIdentityModel(): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'tachyon-bench',
    graph: {
      name: 'identity',
      node: [{ name: 'identity', opType: 'Identity', input: [IDENTITY.input], output: [IDENTITY.output] }],
      input: [floatValueInfo(IDENTITY.input, ['N', IDENTITY.width])],
      output: [floatValueInfo(IDENTITY.output, ['N', IDENTITY.width])],
    },
  });
  return encodeOnnxModel(model);
}

/** The KServe v2 JSON request body of one [1, 4] row. */
export function identityRequestBody(): Uint8Array {
  const body = {
    inputs: [{ name: IDENTITY.input, datatype: 'FP32', shape: [1, IDENTITY.width], data: [0.5, -1.25, 3, 42] }],
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

interface KserveInput {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

/** What a plain fastify handler answers: the same tensor back under the output's name, in KServe v2 JSON. */
export function echoKserve(modelName: string, body: { inputs: KserveInput[] }): unknown {
  const input = body.inputs[0]!;
  return {
    model_name: modelName,
    outputs: [{ name: IDENTITY.output, datatype: input.datatype, shape: input.shape, data: input.data }],
  };
}
