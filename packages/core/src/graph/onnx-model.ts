import { readFile, stat } from 'node:fs/promises';
import { TachyonError } from '@tachyon/protocol';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * A decoded ONNX model (protobufjs static class of onnx v1.10's ModelProto). The graph functions never mutate the
 * models they are given; their results may share tensors (weights) with them, so treat models as immutable.
 */
export type OnnxModel = onnxProto.onnx.ModelProto;
export type OnnxGraph = onnxProto.onnx.IGraphProto;
export type OnnxNode = onnxProto.onnx.INodeProto;
export type OnnxTensorProto = onnxProto.onnx.ITensorProto;
export type OnnxValueInfo = onnxProto.onnx.IValueInfoProto;

/** A protobuf message is at most 2 GiB; larger models keep their weights in external data files. */
export const MAX_ONNX_MODEL_BYTES = 2 ** 31 - 1;

/** int64 fields decode as `Long` objects (protobufjs with `long` installed) or numbers. */
export type IntLike = number | { toNumber(): number } | null | undefined;

export function toInt(value: IntLike): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

/** Decodes ONNX model bytes; TCH_ERR_GRAPH_INVALID unless they hold a ModelProto with a graph and inline weights. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array.');
  if (bytes.length > MAX_ONNX_MODEL_BYTES) throw tooLarge(bytes.length);
  let model: OnnxModel;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_GRAPH_INVALID', 'The bytes are not an ONNX model (protobuf decoding failed).', {
      details: { bytes: bytes.length },
      cause,
    });
  }
  if (toInt(model.irVersion) < 1 || !model.graph) {
    throw new TachyonError('TCH_ERR_GRAPH_INVALID', 'The bytes are not an ONNX model (no IR version or no graph).', {
      details: { bytes: bytes.length },
    });
  }
  assertInlineData(model);
  return model;
}

/** Reads and decodes an .onnx file (whole-file models only: no external data, at most 2 GiB). */
export async function readOnnxModel(path: string): Promise<OnnxModel> {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string.');
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (cause) {
    throw new TachyonError('TCH_ERR_IO_NOT_FOUND', `Model file "${path}" does not exist or cannot be read.`, { details: { path }, cause });
  }
  if (size > MAX_ONNX_MODEL_BYTES) throw tooLarge(size);
  return decodeOnnxModel(await readFile(path));
}

/** Encodes a model to ONNX bytes; TCH_ERR_GRAPH_INVALID when the result would pass the 2 GiB protobuf limit. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  if (typeof model !== 'object' || model === null || !model.graph) throw new TypeError('model must be an OnnxModel with a graph.');
  let bytes: Uint8Array;
  try {
    bytes = onnx.ModelProto.encode(model).finish();
  } catch (cause) {
    throw new TachyonError('TCH_ERR_GRAPH_INVALID', 'The model could not be encoded as one protobuf message.', { cause });
  }
  if (bytes.length > MAX_ONNX_MODEL_BYTES) throw tooLarge(bytes.length);
  return bytes;
}

/** Graph, node and tensor checks shared by every edit: the model must hold its graph and keep weights inline. */
export function graphOf(model: OnnxModel, argument = 'model'): OnnxGraph {
  if (typeof model !== 'object' || model === null) throw new TypeError(`${argument} must be an OnnxModel.`);
  if (!model.graph) throw new TachyonError('TCH_ERR_GRAPH_INVALID', `The ${argument} has no graph.`);
  return model.graph;
}

function assertInlineData(model: OnnxModel): void {
  const external: string[] = [];
  const visit = (graph: OnnxGraph): void => {
    const tensors = [...(graph.initializer ?? []), ...(graph.sparseInitializer ?? []).flatMap((s) => [s.values, s.indices])];
    for (const node of graph.node ?? []) {
      for (const a of node.attribute ?? []) {
        if (a.t) tensors.push(a.t);
        tensors.push(...(a.tensors ?? []));
        if (a.g) visit(a.g);
        for (const g of a.graphs ?? []) visit(g);
      }
    }
    for (const t of tensors) {
      if (t && (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0)) {
        external.push(t.name ?? '');
      }
    }
  };
  visit(model.graph!);
  if (external.length > 0) {
    throw new TachyonError(
      'TCH_ERR_GRAPH_INVALID',
      `The model keeps ${external.length} tensor(s) in external data files, which graph editing does not support.`,
      { details: { tensors: external.slice(0, 20) } },
    );
  }
}

function tooLarge(bytes: number): TachyonError {
  return new TachyonError(
    'TCH_ERR_GRAPH_INVALID',
    `The model has ${bytes} bytes, more than the 2 GiB a single ONNX protobuf can hold (external data is not supported).`,
    { details: { bytes, maxBytes: MAX_ONNX_MODEL_BYTES } },
  );
}
