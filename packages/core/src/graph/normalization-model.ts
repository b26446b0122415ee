import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { TachyonError } from '@tachyon-serve/protocol';
import type { PreprocessConfig } from '../image/preprocess-options.js';
import type { OnnxModel } from './onnx-model.js';
import { MAX_OPSET, irVersionForOpset } from './onnx-versions.js';
import {
  AttributeProto_AttributeType,
  ModelProtoSchema,
  type AttributeProtoSchema,
  type NodeProtoSchema,
  type TensorProtoSchema,
  type ValueInfoProtoSchema,
} from './proto/onnx/onnx_pb.js';
import { elemTypeOf } from './tensor-info.js';

type Init<S extends Parameters<typeof create>[0]> = MessageInitShape<S>;

/** Input of the normalization model: uint8 [N, H, W, 3] RGB pixels, as sharp's raw output lays them. */
export const NORMALIZATION_INPUT = 'pixels';
/** Output of the normalization model: the float32 tensor a classifier takes. */
export const NORMALIZATION_OUTPUT = 'tensor';

/** The fields of a PreprocessConfig the normalization uses (resizing stays outside the graph). */
export type NormalizationConfig = Pick<PreprocessConfig, 'channelOrder' | 'scale' | 'mean' | 'std' | 'layout' | 'size'>;

/** Mul/Add broadcast as numpy does from opset 7 on. */
const MIN_OPSET = 7;

/**
 * An ONNX model doing a preprocessing normalization as operators, so a fused pipeline can take raw pixels:
 * `pixels` uint8 [N, H, W, 3] RGB -> Cast -> (Gather on the channel axis for BGR) -> one Mul and one Add with
 * a = scale / std, b = -mean / std per output channel (mean/std in the output channel order, as in
 * PreprocessConfig) -> (Transpose to NCHW) -> `tensor` float32. `opset` is the default-domain opset to import:
 * the one of the model it will be fused with: 7 to 28 (Cast, Gather, Mul, Add and Transpose keep their meaning over
 * that range); above 28, TCH_ERR_GRAPH_VERSION_UNSUPPORTED. The IR version is the one released with that opset.
 */
export function buildNormalizationModel(config: NormalizationConfig, opset: number): OnnxModel {
  validateConfig(config);
  if (!Number.isSafeInteger(opset)) throw new TypeError('opset must be an integer.');
  if (opset < MIN_OPSET) throw new RangeError(`opset must be at least ${MIN_OPSET}, not ${opset}.`);
  const irVersion = irVersionForOpset(opset);
  if (irVersion === undefined) {
    throw new TachyonError(
      'TCH_ERR_GRAPH_VERSION_UNSUPPORTED',
      `A normalization graph for opset ${opset} cannot be built: the newest opset known here is ${MAX_OPSET}.`,
      {
        details: { opset, maxOpset: MAX_OPSET },
      },
    );
  }
  const [height, width] = config.size;
  const a = [0, 1, 2].map((c) => config.scale / config.std[c]!);
  const b = [0, 1, 2].map((c) => -config.mean[c]! / config.std[c]!);
  const nodes: Init<typeof NodeProtoSchema>[] = [];
  const initializer: Init<typeof TensorProtoSchema>[] = [
    { name: 'normalize/a', dataType: elemTypeOf('float32'), dims: [3n], floatData: a },
    { name: 'normalize/b', dataType: elemTypeOf('float32'), dims: [3n], floatData: b },
  ];
  let x = 'pixels_float';
  nodes.push({
    name: 'cast',
    opType: 'Cast',
    input: [NORMALIZATION_INPUT],
    output: [x],
    attribute: [intAttr('to', elemTypeOf('float32'))],
  });
  if (config.channelOrder === 'BGR') {
    initializer.push({
      name: 'reverse_channels/indices',
      dataType: elemTypeOf('int64'),
      dims: [3n],
      int64Data: [2n, 1n, 0n],
    });
    nodes.push({
      name: 'reverse_channels',
      opType: 'Gather',
      input: [x, 'reverse_channels/indices'],
      output: ['pixels_bgr'],
      attribute: [intAttr('axis', 3)],
    });
    x = 'pixels_bgr';
  }
  const nhwc = config.layout === 'NHWC';
  nodes.push({ name: 'normalize/mul', opType: 'Mul', input: [x, 'normalize/a'], output: ['scaled'] });
  nodes.push({
    name: 'normalize/add',
    opType: 'Add',
    input: ['scaled', 'normalize/b'],
    output: [nhwc ? NORMALIZATION_OUTPUT : 'normalized'],
  });
  if (!nhwc) {
    nodes.push({
      name: 'to_nchw',
      opType: 'Transpose',
      input: ['normalized'],
      output: [NORMALIZATION_OUTPUT],
      attribute: [intsAttr('perm', [0, 3, 1, 2])],
    });
  }
  const outDims = nhwc ? [height, width, 3] : [3, height, width];
  return create(ModelProtoSchema, {
    irVersion: BigInt(irVersion),
    opsetImport: [{ domain: '', version: BigInt(opset) }],
    producerName: 'tachyon',
    docString: 'Image normalization: uint8 NHWC RGB pixels -> float32 model input',
    graph: {
      name: 'normalization',
      node: nodes,
      initializer,
      input: [tensorValueInfo(NORMALIZATION_INPUT, elemTypeOf('uint8'), [height, width, 3])],
      output: [tensorValueInfo(NORMALIZATION_OUTPUT, elemTypeOf('float32'), outDims)],
    },
  });
}

/** A tensor of dims [N, ...rest] with a symbolic batch dimension N. */
function tensorValueInfo(name: string, elemType: number, rest: readonly number[]): Init<typeof ValueInfoProtoSchema> {
  const dim = [
    { value: { case: 'dimParam' as const, value: 'N' } },
    ...rest.map((d) => ({ value: { case: 'dimValue' as const, value: BigInt(d) } })),
  ];
  return { name, type: { value: { case: 'tensorType', value: { elemType, shape: { dim } } } } };
}

function intAttr(name: string, i: number): Init<typeof AttributeProtoSchema> {
  return { name, type: AttributeProto_AttributeType.INT, i: BigInt(i) };
}

function intsAttr(name: string, ints: number[]): Init<typeof AttributeProtoSchema> {
  return { name, type: AttributeProto_AttributeType.INTS, ints: ints.map(BigInt) };
}

function validateConfig(config: NormalizationConfig): void {
  if (typeof config !== 'object' || config === null)
    throw new TypeError('config must be an object like PreprocessConfig.');
  if (config.channelOrder !== 'RGB' && config.channelOrder !== 'BGR')
    throw new TypeError(`config.channelOrder must be 'RGB' or 'BGR'.`);
  if (config.layout !== 'NCHW' && config.layout !== 'NHWC')
    throw new TypeError(`config.layout must be 'NCHW' or 'NHWC'.`);
  if (typeof config.scale !== 'number' || !Number.isFinite(config.scale) || config.scale <= 0)
    throw new RangeError('config.scale must be a positive finite number.');
  for (const field of ['mean', 'std'] as const) {
    const v = config[field];
    if (!Array.isArray(v) || v.length !== 3) throw new TypeError(`config.${field} must be an array of 3 numbers.`);
    if (!v.every((x) => typeof x === 'number' && Number.isFinite(x) && (field === 'mean' || x !== 0))) {
      throw new RangeError(`config.${field} must hold finite numbers${field === 'std' ? ', none zero' : ''}.`);
    }
  }
  const size = config.size;
  if (!Array.isArray(size) || size.length !== 2) throw new TypeError('config.size must be [height, width].');
  if (!size.every((s) => Number.isSafeInteger(s) && s > 0))
    throw new RangeError('config.size must hold positive integers.');
}
