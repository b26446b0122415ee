import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';
import type { ModelHost } from '@tachyon-serve/core';
import {
  MODEL_NAME,
  createTestHost,
  readSample,
  startTestServer,
  topIndices,
  type TestServer,
} from './grpc-fixtures.js';

// A generic client, as grpcurl or Postman: it knows only the reflection proto (the one @grpc/reflection ships), asks the
// server for its services and their file descriptors, builds the message types from them at runtime with protobufjs,
// and calls ModelInfer with no tachyon .proto in sight.
const { FileDescriptorProto, FileDescriptorSet } = descriptorExt as unknown as {
  FileDescriptorProto: protobuf.Type;
  FileDescriptorSet: protobuf.Type;
};
const REFLECTION_PROTO = join(
  dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
  '..',
  'proto',
  'grpc',
  'reflection',
  'v1',
  'reflection.proto',
);

interface ReflectionResponse {
  message_response: 'list_services_response' | 'file_descriptor_response' | 'error_response';
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}
type ReflectionClient = grpc.Client & {
  ServerReflectionInfo: () => grpc.ClientDuplexStream<object, ReflectionResponse>;
};

let host: ModelHost;
let closeHost: () => Promise<void>;
let server: TestServer;
let reflection: ReflectionClient;

before(async () => {
  ({ host, close: closeHost } = await createTestHost());
  server = await startTestServer(host, { auth: 'none' });
  const definition = protoLoader.loadSync(REFLECTION_PROTO, {
    keepCase: true,
    oneofs: true,
    bytes: Buffer,
    defaults: true,
  });
  const Reflection = (
    grpc.loadPackageDefinition(definition) as unknown as {
      grpc: {
        reflection: { v1: { ServerReflection: new (a: string, c: grpc.ChannelCredentials) => ReflectionClient } };
      };
    }
  ).grpc.reflection.v1.ServerReflection;
  reflection = new Reflection(server.address, grpc.credentials.createInsecure());
});
after(async () => {
  reflection?.close();
  await server?.close();
  await closeHost?.();
});

/** One request on a fresh ServerReflectionInfo stream. */
function ask(request: object): Promise<ReflectionResponse> {
  return new Promise((done, fail) => {
    const call = reflection.ServerReflectionInfo();
    call.on('data', (response: ReflectionResponse) => {
      done(response);
      call.end();
    });
    call.on('error', fail);
    call.write(request);
  });
}

/** The file holding `symbol` and, by file name, every file it imports: a protobufjs Root of all of them. */
async function rootFor(symbol: string): Promise<protobuf.Root> {
  const files = new Map<string, protobuf.Message & { name: string; dependency: string[] }>();
  const add = (response: ReflectionResponse) => {
    assert.equal(response.message_response, 'file_descriptor_response', JSON.stringify(response.error_response));
    for (const bytes of response.file_descriptor_response!.file_descriptor_proto) {
      const file = FileDescriptorProto.decode(bytes) as protobuf.Message & { name: string; dependency: string[] };
      files.set(file.name, file);
    }
  };
  add(await ask({ file_containing_symbol: symbol }));
  for (
    let missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d));
    missing.length > 0;
  ) {
    for (const name of missing) add(await ask({ file_by_filename: name }));
    missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d));
  }
  return (protobuf.Root as unknown as { fromDescriptor: (set: protobuf.Message) => protobuf.Root }).fromDescriptor(
    FileDescriptorSet.create({ file: [...files.values()] }),
  );
}

test('reflection lists the inference, TF-Serving, health and reflection services', async () => {
  const response = await ask({ list_services: '' });
  const names = response.list_services_response!.service.map((s) => s.name);
  for (const name of [
    'inference.GRPCInferenceService',
    'tensorflow.serving.PredictionService',
    'grpc.health.v1.Health',
  ])
    assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
});

test('a client built only from reflected descriptors calls ModelInfer and gets the right class', async (t) => {
  const listed = (await ask({ list_services: '' })).list_services_response!.service.map((s) => s.name);
  const serviceName = listed.find((name) => name.endsWith('.GRPCInferenceService'))!;
  const root = await rootFor(serviceName);
  const service = root.lookupService(serviceName);
  const method = service.methods['ModelInfer']!;
  method.resolve();
  const Request = method.resolvedRequestType!;
  const Response = method.resolvedResponseType!;
  const Client = grpc.makeGenericClientConstructor(
    {
      ModelInfer: {
        path: `/${serviceName}/ModelInfer`,
        requestStream: false,
        responseStream: false,
        requestSerialize: (value: object) => Buffer.from(Request.encode(Request.fromObject(value)).finish()),
        requestDeserialize: (bytes: Buffer) => Request.decode(bytes),
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: (bytes: Buffer) => Response.toObject(Response.decode(bytes), { defaults: true }),
      },
    },
    serviceName,
  );
  const client = new Client(server.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    ModelInfer: (
      request: object,
      callback: (
        error: grpc.ServiceError | null,
        response: {
          model_name: string;
          outputs: { name: string; datatype: string; shape: number[]; contents: { fp32_contents: number[] } }[];
        },
      ) => void,
    ) => void;
  };
  t.after(() => client.close());
  // Field names as the reflected descriptor spells them (protobufjs keeps a descriptor's names).
  const fieldNames = Request.fieldsArray.map((f: protobuf.Field) => f.name);
  assert.ok(fieldNames.includes('model_name') && fieldNames.includes('inputs'), fieldNames.join(', '));
  const tench = await readSample('n01440764_tench.JPEG');
  const response = await new Promise<Parameters<Parameters<typeof client.ModelInfer>[1]>[1]>((done, fail) =>
    client.ModelInfer(
      {
        model_name: MODEL_NAME,
        inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [tench] } }],
      },
      (error, value) => (error ? fail(error) : done(value)),
    ),
  );
  assert.equal(response.model_name, MODEL_NAME);
  const scores = response.outputs[0]!;
  assert.equal(scores.datatype, 'FP32');
  assert.deepEqual(scores.shape.map(Number), [1, 1000]);
  assert.equal(topIndices(scores.contents.fp32_contents, 1)[0]!.index, 0, 'tench is ImageNet class 0');
});
