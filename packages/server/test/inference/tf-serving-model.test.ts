import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { DEFAULT_SIGNATURE, modelVersionStatus, resolveSignatureName } from '../../src/codec/tf-serving-model.js';
import type { ModelHost } from '@tachyon-serve/core';
import { CLIENT_LOADER_OPTIONS, readSample, startTestServer, unary, unaryError } from '../grpc/grpc-fixtures.js';
import { MODEL, PRIMARY, bearer, httpApp, sharedHost } from '../support/http-fixture.js';

// TF-Serving parity: GetModelMetadata and GetModelStatus over gRPC (clients built from the published protos, the
// Any unpacked with protobufjs from the same files), their REST twins, and one signature_name rule on both.
const PROTO_DIR = resolve(fileURLToPath(new URL('../../../../../packages/protocol/proto', import.meta.url)));
const getHost = sharedHost();
const AUTH = { authorization: `Bearer ${PRIMARY}` };
const CLASSES = 1000;

type Ctor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;

async function grpcClients(t: { after: (fn: () => unknown) => void }, host: ModelHost) {
  const server = await startTestServer(host, { auth: { keys: () => [PRIMARY] } });
  const definition = protoLoader.loadSync('tensorflow_serving/apis/model_service.proto', CLIENT_LOADER_OPTIONS);
  const ModelService = (
    grpc.loadPackageDefinition(definition) as unknown as { tensorflow: { serving: { ModelService: Ctor } } }
  ).tensorflow.serving.ModelService;
  const models = new ModelService(server.address, grpc.credentials.createInsecure());
  t.after(async () => {
    models.close();
    await server.close();
  });
  return { tf: server.tf, models };
}

/** tensorflow.serving.SignatureDefMap from the published protos, to unpack the google.protobuf.Any. */
function signatureDefMapType(): protobuf.Type {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : resolve(PROTO_DIR, target));
  root.loadSync('tensorflow_serving/apis/get_model_metadata.proto', { keepCase: true });
  return root.lookupType('tensorflow.serving.SignatureDefMap');
}

interface TensorInfo {
  name: string;
  dtype: string | number;
  tensor_shape: { dim: { size: number | string }[] };
}
interface SignatureDef {
  inputs: Record<string, TensorInfo>;
  outputs: Record<string, TensorInfo>;
  method_name: string;
}

function assertServingDefault(
  signatures: Record<string, SignatureDef>,
  dtype: (name: string) => string | number,
): void {
  assert.deepEqual(Object.keys(signatures), [DEFAULT_SIGNATURE]);
  const signature = signatures[DEFAULT_SIGNATURE]!;
  assert.equal(signature.method_name, 'tensorflow/serving/predict');
  assert.deepEqual(Object.keys(signature.inputs), ['images']);
  assert.equal(signature.inputs['images']!.dtype, dtype('DT_STRING'));
  assert.deepEqual(
    signature.inputs['images']!.tensor_shape.dim.map((d) => Number(d.size)),
    [-1],
  );
  assert.deepEqual(Object.keys(signature.outputs).sort(), ['output_alias', 'scores']);
  for (const output of Object.values(signature.outputs)) {
    assert.equal(output.dtype, dtype('DT_FLOAT'));
    assert.deepEqual(
      output.tensor_shape.dim.map((d) => Number(d.size)),
      [-1, CLASSES],
    );
  }
}

test('gRPC GetModelMetadata: signature_def serving_default with input images and output scores, packed in an Any', async (t) => {
  const { tf } = await grpcClients(t, getHost());
  const { response } = await unary<{
    model_spec: { name: string; version: { value: number } };
    metadata: Record<string, { type_url: string; value: Buffer }>;
  }>(tf, 'GetModelMetadata', { model_spec: { name: MODEL }, metadata_field: ['signature_def'] }, AUTH);
  assert.equal(response.model_spec.name, MODEL);
  assert.equal(response.model_spec.version.value, 1);
  const any = response.metadata['signature_def']!;
  assert.equal(any.type_url, 'type.googleapis.com/tensorflow.serving.SignatureDefMap');
  const SignatureDefMap = signatureDefMapType();
  const decoded = SignatureDefMap.toObject(SignatureDefMap.decode(any.value), { enums: String, longs: Number }) as {
    signature_def: Record<string, SignatureDef>;
  };
  assertServingDefault(decoded.signature_def, (name) => name);

  // The original client sends no model_spec name: the only served model. An unknown field is INVALID_ARGUMENT.
  const unnamed = await unary<{ model_spec: { name: string } }>(
    tf,
    'GetModelMetadata',
    { metadata_field: ['signature_def'] },
    AUTH,
  );
  assert.equal(unnamed.response.model_spec.name, MODEL);
  assert.equal(
    (await unaryError(tf, 'GetModelMetadata', { model_spec: { name: MODEL }, metadata_field: ['graph'] }, AUTH)).code,
    grpc.status.INVALID_ARGUMENT,
  );
  assert.equal(
    (await unaryError(tf, 'GetModelMetadata', { model_spec: { name: MODEL } })).code,
    grpc.status.UNAUTHENTICATED,
    'needs the key',
  );
  assert.equal(
    (await unaryError(tf, 'GetModelMetadata', { model_spec: { name: 'nope' } }, AUTH)).code,
    grpc.status.NOT_FOUND,
  );
});

test('gRPC GetModelStatus and REST GET /v1/models/{name}: version 1 AVAILABLE, status OK; unknown model NOT_FOUND', async (t) => {
  const host = getHost();
  const { models } = await grpcClients(t, host);
  const { response } = await unary<{
    model_version_status: { version: number; state: string; status: { error_code: string; error_message: string } }[];
  }>(models, 'GetModelStatus', { model_spec: { name: MODEL } }, AUTH);
  assert.deepEqual(response.model_version_status, [
    { version: 1, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } },
  ]);
  const versioned = await unary<{ model_version_status: unknown[] }>(
    models,
    'GetModelStatus',
    { model_spec: { name: MODEL, version: { value: 1 } } },
    AUTH,
  );
  assert.equal(versioned.response.model_version_status.length, 1);

  const app = await httpApp(t, host);
  const rest = await app.inject({ method: 'GET', url: `/v1/models/${MODEL}`, headers: bearer() });
  assert.equal(rest.statusCode, 200);
  assert.deepEqual(rest.json(), {
    model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
  });
  assert.equal(
    (await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/versions/7`, headers: bearer() })).statusCode,
    404,
  );
});

test('REST GET /v1/models/{name}/metadata: the same signature_def, as TF-Serving JSON', async (t) => {
  const app = await httpApp(t, getHost());
  for (const url of [`/v1/models/${MODEL}/metadata`, `/v1/models/${MODEL}/versions/1/metadata`]) {
    const res = await app.inject({ method: 'GET', url, headers: bearer() });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json() as {
      model_spec: { name: string; version: string };
      metadata: { signature_def: { signature_def: Record<string, SignatureDef> } };
    };
    assert.deepEqual(body.model_spec, { name: MODEL, signature_name: '', version: '1' });
    assertServingDefault(body.metadata.signature_def.signature_def, (name) => name);
    assert.equal(
      typeof body.metadata.signature_def.signature_def[DEFAULT_SIGNATURE]!.inputs['images']!.tensor_shape.dim[0]!.size,
      'string',
      'int64 as a string',
    );
  }
  assert.equal((await app.inject({ method: 'GET', url: `/v1/models/${MODEL}/metadata` })).statusCode, 401);
});

test('one signature_name rule: REST and gRPC accept none, "" and serving_default, and refuse any other the same way', async (t) => {
  const host = getHost();
  const { tf } = await grpcClients(t, host);
  const app = await httpApp(t, host);
  const image = await readSample('n01440764_tench.JPEG');
  const rest = (signature?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/models/${MODEL}:predict`,
      headers: bearer(),
      payload: {
        ...(signature === undefined ? {} : { signature_name: signature }),
        instances: [{ b64: image.toString('base64') }],
      },
    });
  const predict = (signature: string) => ({
    model_spec: { name: MODEL, signature_name: signature },
    inputs: { images: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, string_val: [image] } },
  });
  for (const ok of [undefined, '', DEFAULT_SIGNATURE])
    assert.equal((await rest(ok)).statusCode, 200, `REST ${String(ok)}`);
  for (const ok of ['', DEFAULT_SIGNATURE])
    assert.equal(
      (await unary<{ model_spec: { signature_name: string } }>(tf, 'Predict', predict(ok), AUTH)).response.model_spec
        .signature_name,
      DEFAULT_SIGNATURE,
    );

  const refused = await rest('classify');
  assert.equal(refused.statusCode, 400);
  const body = refused.json() as { code: string; error: string };
  assert.equal(body.code, 'TCH_ERR_INFER_INVALID');
  const error = await unaryError(tf, 'Predict', predict('classify'), AUTH);
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(error.details, body.error, 'the same message on both');
  assert.equal(error.metadata.get('tachyon-code')[0], 'TCH_ERR_INFER_INVALID');
});

test('modelVersionStatus: loading, unloading and failed versions; registered-only versions are not listed', async () => {
  const rows = [
    { name: 'm', version: '1', state: 'READY' },
    { name: 'm', version: '2', state: 'LOADING' },
    { name: 'm', version: '3', state: 'UNLOADING' },
    { name: 'm', version: '4', state: 'UNAVAILABLE', reason: 'the ONNX file is corrupt' },
    { name: 'm', version: '5', state: 'UNAVAILABLE', reason: 'not loaded' },
  ];
  const host = { index: async () => rows, names: () => ['m'], versions: () => ['1'] } as unknown as ModelHost;
  assert.deepEqual(
    (await modelVersionStatus(host, 'm')).map((s) => [s.version, s.state, s.status.error_code]),
    [
      ['1', 'AVAILABLE', 'OK'],
      ['2', 'LOADING', 'OK'],
      ['3', 'UNLOADING', 'OK'],
      ['4', 'END', 'UNKNOWN'],
    ],
  );
  assert.equal((await modelVersionStatus(host, 'm', '4'))[0]!.status.error_message, 'the ONNX file is corrupt');
  await assert.rejects(modelVersionStatus(host, 'm', '5'), { code: 'TCH_ERR_MODEL_NOT_FOUND' });
  await assert.rejects(modelVersionStatus(host, 'x'), { code: 'TCH_ERR_MODEL_NOT_FOUND' });
  assert.throws(() => resolveSignatureName(7, 'm'), { code: 'TCH_ERR_INFER_INVALID' });
});
