import type { LayersModel, SymbolicTensor, Tensor, layers } from '@tensorflow/tfjs';
import { TachyonError } from '@tachyon-serve/protocol';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset and IR version of the converted head (the opset of the zoo featurizers it is fused with). */
export const DENSE_HEAD_OPSET = 13;
const IR_VERSION = 7;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

type Layer = layers.Layer;
const ACTIVATION_OPS: Readonly<Record<string, string | undefined>> = Object.freeze({
  linear: undefined,
  relu: 'Relu',
  softmax: 'Softmax',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
});

/**
 * Converts a classifier head made only of Dense layers (activations linear, relu, softmax, sigmoid, tanh), plus
 * optional Activation, Softmax and Dropout layers (Dropout is a no-op at inference), into an ONNX model:
 * Dense -> Gemm (MatMul without bias), activations -> Relu/Softmax/Sigmoid/Tanh. Opset 13, input `input` float32
 * [N, F], output `output` float32 [N, C], N dynamic, so it can be fused behind an ONNX featurizer.
 * A model with any other layer, more than one input or output, an input that is not [N, F], or layers that are
 * not one chain raises TCH_ERR_GRAPH_FUSE_UNSUPPORTED (the head still runs as a Keras stage).
 */
export function kerasDenseHeadToOnnx(model: LayersModel): Uint8Array {
  if (typeof model !== 'object' || model === null || !Array.isArray(model.layers) || !Array.isArray(model.inputs)) {
    throw new TypeError('model must be a tf.LayersModel.');
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw unsupported(
      `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; a dense head has one of each`,
    );
  }
  const inputShape = model.inputs[0]!.shape;
  if (inputShape.length !== 2 || typeof inputShape[1] !== 'number') {
    throw unsupported(
      `the model input has shape [${inputShape.map((d) => d ?? 'N').join(', ')}]; a dense head takes [N, features]`,
    );
  }
  const graph = new GraphBuilder();
  let previous: SymbolicTensor = model.inputs[0]!;
  let width = inputShape[1];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    if (singleInput(layer) !== previous)
      throw unsupported(`layer "${layer.name}" is not fed by the layer before it (the layers are not one chain)`);
    previous = layer.output as SymbolicTensor;
    const config = layer.getConfig();
    switch (className) {
      case 'Dense':
        width = graph.dense(layer, width);
        graph.activation(layer, String(config['activation'] ?? 'linear'));
        break;
      case 'Activation':
        graph.activation(layer, String(config['activation']));
        break;
      case 'Softmax': {
        const axis = config['axis'];
        if (axis !== -1 && axis !== 1)
          throw unsupported(
            `Softmax layer "${layer.name}" has axis ${JSON.stringify(axis)}; only the class axis is supported`,
            layer,
          );
        graph.activation(layer, 'softmax');
        break;
      }
      case 'Dropout':
        break;
      default:
        throw unsupported(
          `layer "${layer.name}" is a ${className}; only Dense, Activation, Softmax and Dropout layers are supported`,
          layer,
        );
    }
  }
  if (previous !== model.outputs[0]) throw unsupported('the model output is not the output of its last layer');
  return graph.encode(inputShape[1], width, model.name);
}

class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  #current = 'input';
  #names = new Set<string>(['input', 'output']);

  /** Appends Gemm (or MatMul without bias) and returns the output width. */
  dense(layer: Layer, width: number): number {
    const [kernel, bias] = layer.getWeights() as [Tensor, Tensor | undefined];
    if (kernel === undefined || kernel.rank !== 2 || kernel.shape[0] !== width) {
      throw unsupported(
        `Dense layer "${layer.name}" has a kernel of shape [${kernel?.shape.join(', ') ?? ''}] for ${width} inputs`,
        layer,
      );
    }
    const units = kernel.shape[1]!;
    const w = this.#initializer(`${layer.name}_kernel`, [width, units], kernel.dataSync() as Float32Array);
    if (bias === undefined) {
      this.#node('MatMul', [this.#current, w], `${layer.name}_matmul`);
    } else {
      const b = this.#initializer(`${layer.name}_bias`, [units], bias.dataSync() as Float32Array);
      this.#node('Gemm', [this.#current, w, b], `${layer.name}_gemm`);
    }
    return units;
  }

  activation(layer: Layer, name: string): void {
    if (!Object.hasOwn(ACTIVATION_OPS, name)) {
      throw unsupported(
        `layer "${layer.name}" uses activation "${name}"; supported: ${Object.keys(ACTIVATION_OPS).join(', ')}`,
        layer,
      );
    }
    const op = ACTIVATION_OPS[name];
    if (op === undefined) return;
    const attribute = op === 'Softmax' ? [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }] : [];
    this.#node(op, [this.#current], `${layer.name}_${op.toLowerCase()}`, attribute);
  }

  encode(features: number, classes: number, name: string): Uint8Array {
    if (this.nodes.length === 0) this.#node('Identity', [this.#current], 'identity');
    this.nodes[this.nodes.length - 1]!.output = ['output'];
    const model: onnxProto.onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: DENSE_HEAD_OPSET }],
      producerName: 'tachyon',
      graph: {
        name: name || 'dense_head',
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo('input', features)],
        output: [valueInfo('output', classes)],
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }

  #node(opType: string, input: string[], base: string, attribute: onnxProto.onnx.IAttributeProto[] = []): void {
    const output = this.#unique(base);
    this.nodes.push({ opType, input, output: [output], name: output, attribute });
    this.#current = output;
  }

  #initializer(base: string, dims: number[], data: Float32Array): string {
    const name = this.#unique(base);
    // ONNX raw_data is little-endian, as every platform Node runs on.
    const rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims, dataType: FLOAT, rawData });
    return name;
  }

  #unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.-]/g, '_');
    let name = clean;
    for (let i = 1; this.#names.has(name); i++) name = `${clean}_${i}`;
    this.#names.add(name);
    return name;
  }
}

function valueInfo(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } } };
}

/** The layer's one input tensor, or undefined when it has several inputs or was called more than once. */
function singleInput(layer: Layer): SymbolicTensor | undefined {
  try {
    const input = layer.input;
    return Array.isArray(input) ? (input.length === 1 ? input[0] : undefined) : input;
  } catch {
    return undefined;
  }
}

function unsupported(reason: string, layer?: Layer): TachyonError {
  return new TachyonError('TCH_ERR_GRAPH_FUSE_UNSUPPORTED', `The Keras model cannot be converted to ONNX: ${reason}.`, {
    details: layer === undefined ? { reason } : { reason, layer: layer.name, className: layer.getClassName() },
  });
}
