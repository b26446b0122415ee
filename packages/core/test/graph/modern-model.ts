// An IR 10 / opset 21 model built with the generated onnx.proto types, holding what onnx-proto (IR 8) lost: metadata
// on the model, graph, nodes, value infos, tensors and functions (IR 10), a model-local function with attribute
// protos, a value info and an overload (IR 9/10), float8 and uint4 initializers (IR 9/10), proto2 fields set to their
// default value, and fields no schema knows yet (unknown field numbers at model, graph, node, tensor and function level).
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { onnx, type OnnxModel } from '../../src/graph/index.js';

const {
  AttributeProto_AttributeType: AttributeType,
  TensorProto_DataType: DataType,
  TensorProto_DataLocation: DataLocation,
} = onnx;

/** `message` with one length-delimited field of number `no` (unknown to the schema) appended, as a newer writer would. */
export function withUnknownField<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  no: number,
  text: string,
): MessageShape<Desc> {
  const extra = new BinaryWriter().tag(no, WireType.LengthDelimited).string(text).finish();
  const bytes = toBinary(schema, message);
  const joined = new Uint8Array(bytes.length + extra.length);
  joined.set(bytes);
  joined.set(extra, bytes.length);
  return fromBinary(schema, joined);
}

const entries = (pairs: Record<string, string>) => Object.entries(pairs).map(([key, value]) => ({ key, value }));

function tensorInfo(name: string, elemType: number, dims: (number | string)[], metadata: Record<string, string> = {}) {
  const dim = dims.map((d) => ({
    value:
      typeof d === 'number' ? { case: 'dimValue' as const, value: BigInt(d) } : { case: 'dimParam' as const, value: d },
  }));
  return create(onnx.ValueInfoProtoSchema, {
    name,
    type: { value: { case: 'tensorType', value: { elemType, shape: { dim } } }, denotation: 'TENSOR' },
    metadataProps: entries(metadata),
  });
}

/**
 * x [N, 4] -> a0 = x * w; f8f = Cast(f8); a = a0 + f8f; b = local.fn.AddTwice(a); y = Relu(b); z = Neg(x).
 * Cut at `b`, Relu and Neg go; u4 is read by nothing.
 */
export function modernModel(): OnnxModel {
  const addTwice = withUnknownField(
    onnx.FunctionProtoSchema,
    create(onnx.FunctionProtoSchema, {
      name: 'AddTwice',
      domain: 'local.fn',
      overload: 'v2',
      input: ['x'],
      output: ['y'],
      attributeProto: [{ name: 'alpha', type: AttributeType.FLOAT, f: 1 }],
      node: [
        { name: 'twice', opType: 'Add', input: ['x', 'x'], output: ['t'] },
        { name: 'copy', opType: 'Identity', input: ['t'], output: ['y'], metadataProps: entries({ role: 'output' }) },
      ],
      opsetImport: [{ domain: '', version: 21n }],
      valueInfo: [tensorInfo('t', DataType.FLOAT, ['N', 4])],
      docString: 'x + x',
      metadataProps: entries({ kind: 'local function' }),
    }),
    1004,
    'a function field from the future',
  );
  const mul = withUnknownField(
    onnx.NodeProtoSchema,
    create(onnx.NodeProtoSchema, {
      name: 'mul',
      opType: 'Mul',
      input: ['x', 'w'],
      output: ['a0'],
      docString: 'scale',
      metadataProps: entries({ origin: 'layer1' }),
    }),
    1002,
    'a node field from the future',
  );
  const w = withUnknownField(
    onnx.TensorProtoSchema,
    create(onnx.TensorProtoSchema, {
      name: 'w',
      dataType: DataType.FLOAT,
      dims: [4n],
      rawData: new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer),
      dataLocation: DataLocation.DEFAULT, // set to its default: proto2 presence keeps it on the wire
      metadataProps: entries({ quantized: 'no' }),
    }),
    1003,
    'a tensor field from the future',
  );
  const graph = withUnknownField(
    onnx.GraphProtoSchema,
    create(onnx.GraphProtoSchema, {
      name: 'modern',
      docString: '',
      node: [
        {
          name: 'f8cast',
          opType: 'Cast',
          input: ['f8'],
          output: ['f8f'],
          attribute: [{ name: 'to', type: AttributeType.INT, i: BigInt(DataType.FLOAT) }],
        },
        mul,
        { name: 'add', opType: 'Add', input: ['a0', 'f8f'], output: ['a'] },
        {
          name: 'fn_call',
          opType: 'AddTwice',
          domain: 'local.fn',
          overload: 'v2',
          input: ['a'],
          output: ['b'],
          attribute: [{ name: 'alpha', type: AttributeType.FLOAT, f: 0.5, docString: 'scale of the call' }],
        },
        { name: 'relu', opType: 'Relu', input: ['b'], output: ['y'] },
        { name: 'side', opType: 'Neg', input: ['x'], output: ['z'] },
      ],
      initializer: [
        w,
        { name: 'f8', dataType: DataType.FLOAT8E4M3FN, dims: [4n], rawData: Uint8Array.of(0x38, 0x40, 0x44, 0x48) },
        { name: 'u4', dataType: DataType.UINT4, dims: [3n], rawData: Uint8Array.of(0x21, 0x03) },
      ],
      input: [tensorInfo('x', DataType.FLOAT, ['N', 4], { layout: 'NC' })],
      output: [tensorInfo('y', DataType.FLOAT, ['N', 4]), tensorInfo('z', DataType.FLOAT, ['N', 4])],
      valueInfo: [
        tensorInfo('a', DataType.FLOAT, ['N', 4], { note: 'sum' }),
        tensorInfo('b', DataType.FLOAT, ['N', 4]),
      ],
      metadataProps: entries({ graph_tag: 'g1' }),
    }),
    1001,
    'a graph field from the future',
  );
  const model = create(onnx.ModelProtoSchema, {
    irVersion: 10n,
    opsetImport: [
      { domain: '', version: 21n },
      { domain: 'local.fn', version: 1n },
    ],
    producerName: 'tachyon-test',
    producerVersion: '1.0',
    domain: 'ai.tachyon.test',
    modelVersion: 3n,
    docString: 'IR 10 fixture',
    graph,
    metadataProps: entries({ author: 'tachyon', license: 'Apache-2.0' }),
    functions: [addTwice],
  });
  return withUnknownField(onnx.ModelProtoSchema, model, 1000, 'a model field from the future');
}
