import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as protoLoader from '@grpc/proto-loader';
import { grpcProtoFiles, PROTO_ROOT } from '../../src/grpc/grpc-protos.js';
import { CLIENT_LOADER_OPTIONS, loadClientConstructors } from './grpc-fixtures.js';

// The published .proto files must stay wire-compatible with the upstream definitions: these are the names and field
// numbers unmodified KServe, Triton and TF-Serving clients put on the wire.
interface FieldDescriptor {
  name: string;
  number: number;
  type: string;
  label: string;
}
interface TypeDescriptor {
  type: { field: FieldDescriptor[]; nestedType: { name: string; field: FieldDescriptor[] }[] };
}

const { definition } = loadClientConstructors();

function fields(typeName: string, nested?: string): Record<string, number> {
  const descriptor = definition[typeName] as unknown as TypeDescriptor;
  assert.ok(descriptor, `${typeName} is defined`);
  const list =
    nested === undefined ? descriptor.type.field : descriptor.type.nestedType.find((n) => n.name === nested)!.field;
  return Object.fromEntries(list.map((f) => [f.name, f.number]));
}

test('the server loads the published protos from packages/protocol/proto', () => {
  assert.match(PROTO_ROOT, /packages[/\\]protocol[/\\]proto$/);
  assert.match(grpcProtoFiles().kserve, /kserve[/\\]grpc_service\.proto$/);
});

test('inference.GRPCInferenceService: methods and paths as KServe v2 / Triton', () => {
  const service = definition['inference.GRPCInferenceService'] as Record<string, { path: string }>;
  assert.deepEqual(
    Object.values(service)
      .map((m) => m.path)
      .sort(),
    ['ModelInfer', 'ModelMetadata', 'ModelReady', 'ServerLive', 'ServerMetadata', 'ServerReady'].map(
      (m) => `/inference.GRPCInferenceService/${m}`,
    ),
  );
});

test('KServe v2 message field numbers', () => {
  assert.deepEqual(fields('inference.ModelInferRequest'), {
    model_name: 1,
    model_version: 2,
    id: 3,
    parameters: 4,
    inputs: 5,
    outputs: 6,
    raw_input_contents: 7,
  });
  assert.deepEqual(fields('inference.ModelInferRequest', 'InferInputTensor'), {
    name: 1,
    datatype: 2,
    shape: 3,
    parameters: 4,
    contents: 5,
  });
  assert.deepEqual(fields('inference.ModelInferRequest', 'InferRequestedOutputTensor'), { name: 1, parameters: 2 });
  assert.deepEqual(fields('inference.ModelInferResponse'), {
    model_name: 1,
    model_version: 2,
    id: 3,
    parameters: 4,
    outputs: 5,
    raw_output_contents: 6,
  });
  assert.deepEqual(fields('inference.ModelInferResponse', 'InferOutputTensor'), {
    name: 1,
    datatype: 2,
    shape: 3,
    parameters: 4,
    contents: 5,
  });
  assert.deepEqual(fields('inference.InferParameter'), {
    bool_param: 1,
    int64_param: 2,
    string_param: 3,
    double_param: 4,
    uint64_param: 5,
  });
  assert.deepEqual(fields('inference.InferTensorContents'), {
    bool_contents: 1,
    int_contents: 2,
    int64_contents: 3,
    uint_contents: 4,
    uint64_contents: 5,
    fp32_contents: 6,
    fp64_contents: 7,
    bytes_contents: 8,
  });
  assert.deepEqual(fields('inference.ModelMetadataResponse'), {
    name: 1,
    versions: 2,
    platform: 3,
    inputs: 4,
    outputs: 5,
  });
  assert.deepEqual(fields('inference.ModelMetadataResponse', 'TensorMetadata'), { name: 1, datatype: 2, shape: 3 });
  assert.deepEqual(fields('inference.ServerMetadataResponse'), { name: 1, version: 2, extensions: 3 });
  assert.deepEqual(fields('inference.ModelReadyRequest'), { name: 1, version: 2 });
});

test('TF-Serving Predict and TensorProto field numbers', () => {
  const service = definition['tensorflow.serving.PredictionService'] as Record<string, { path: string }>;
  assert.equal(service['Predict']?.path, '/tensorflow.serving.PredictionService/Predict');
  assert.deepEqual(fields('tensorflow.serving.PredictRequest'), { model_spec: 1, inputs: 2, output_filter: 3 });
  assert.deepEqual(fields('tensorflow.serving.PredictResponse'), { outputs: 1, model_spec: 2 });
  assert.deepEqual(fields('tensorflow.serving.ModelSpec'), {
    name: 1,
    version: 2,
    signature_name: 3,
    version_label: 4,
  });
  const tensor = fields('tensorflow.TensorProto');
  assert.equal(tensor['dtype'], 1);
  assert.equal(tensor['tensor_shape'], 2);
  assert.equal(tensor['version_number'], 3);
  assert.equal(tensor['tensor_content'], 4);
  assert.equal(tensor['float_val'], 5);
  assert.equal(tensor['string_val'], 8);
  assert.equal(tensor['int64_val'], 10);
  assert.deepEqual(fields('tensorflow.TensorShapeProto'), { dim: 2, unknown_rank: 3 });
  assert.deepEqual(fields('tensorflow.TensorShapeProto', 'Dim'), { size: 1, name: 2 });
  const dataType = definition['tensorflow.DataType'] as unknown as {
    type: { value: { name: string; number: number }[] };
  };
  const values = Object.fromEntries(dataType.type.value.map((v) => [v.name, v.number]));
  assert.equal(values['DT_FLOAT'], 1);
  assert.equal(values['DT_STRING'], 7);
  assert.equal(values['DT_UINT64'], 23);
});

test('TF-Serving GetModelMetadata, GetModelStatus and SignatureDef field numbers', () => {
  const more = protoLoader.loadSync(
    [
      'tensorflow_serving/apis/prediction_service.proto',
      'tensorflow_serving/apis/model_service.proto',
      'grpc/health/v1/health.proto',
    ],
    CLIENT_LOADER_OPTIONS,
  );
  const fieldsOf = (typeName: string) =>
    Object.fromEntries((more[typeName] as unknown as TypeDescriptor).type.field.map((f) => [f.name, f.number]));
  const prediction = more['tensorflow.serving.PredictionService'] as Record<string, { path: string }>;
  assert.equal(prediction['GetModelMetadata']?.path, '/tensorflow.serving.PredictionService/GetModelMetadata');
  assert.equal(
    (more['tensorflow.serving.ModelService'] as Record<string, { path: string }>)['GetModelStatus']?.path,
    '/tensorflow.serving.ModelService/GetModelStatus',
  );
  assert.deepEqual(fieldsOf('tensorflow.serving.GetModelMetadataRequest'), { model_spec: 1, metadata_field: 2 });
  assert.deepEqual(fieldsOf('tensorflow.serving.GetModelMetadataResponse'), { model_spec: 1, metadata: 2 });
  assert.deepEqual(fieldsOf('tensorflow.serving.SignatureDefMap'), { signature_def: 1 });
  assert.deepEqual(fieldsOf('tensorflow.SignatureDef'), { inputs: 1, outputs: 2, method_name: 3 });
  assert.deepEqual(fieldsOf('tensorflow.TensorInfo'), { name: 1, dtype: 2, tensor_shape: 3 });
  assert.deepEqual(fieldsOf('tensorflow.serving.GetModelStatusRequest'), { model_spec: 1 });
  assert.deepEqual(fieldsOf('tensorflow.serving.GetModelStatusResponse'), { model_version_status: 1 });
  assert.deepEqual(fieldsOf('tensorflow.serving.ModelVersionStatus'), { version: 1, state: 2, status: 3 });
  assert.deepEqual(fieldsOf('tensorflow.serving.StatusProto'), { error_code: 1, error_message: 2 });
  assert.deepEqual(fieldsOf('grpc.health.v1.HealthCheckRequest'), { service: 1 });
  assert.deepEqual(fieldsOf('grpc.health.v1.HealthCheckResponse'), { status: 1 });
});
