import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compileModelSources } from '@tachyon-serve/core';
import { ModelHost } from '@tachyon-serve/core';
import { bindGrpcServer, createGrpcServer } from '../../src/grpc/grpc-server.js';
import type { GrpcServerOptions } from '../../src/grpc/grpc-config.js';
import { REPO_ROOT, sharedDir } from '@tachyon-serve/test-support';

export const MODEL_NAME = 'mobilenet';
export const readSample = (file: string): Promise<Buffer> =>
  readFile(join(sharedDir(), 'images', 'imagenet-sample', file));

/** A ModelHost serving the real mobilenetv2-int8 from ../shared/models as MODEL_NAME (no network). */
export async function createTestHost(): Promise<{ host: ModelHost; close: () => Promise<void> }> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'tachyon-grpc-test-'));
  const sources = compileModelSources({
    modelPath: [join(sharedDir(), 'models')],
    cacheDir,
    env: {},
    allowDownload: false,
  });
  const host = await ModelHost.create({ sources });
  await host.load(MODEL_NAME, { kind: 'model', ref: 'mobilenetv2-int8' });
  return {
    host,
    close: async () => {
      await host.close();
      await rm(cacheDir, { recursive: true, force: true });
    },
  };
}

/** The published protos, loaded the way any grpc-js client would (from packages/protocol/proto, not the server's). */
const PROTO_DIR = resolve(REPO_ROOT, 'packages', 'protocol', 'proto');
export const CLIENT_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

type ClientCtor = new (address: string, credentials: grpc.ChannelCredentials) => grpc.Client;

export function loadClientConstructors(): {
  Inference: ClientCtor;
  Prediction: ClientCtor;
  definition: protoLoader.PackageDefinition;
} {
  const definition = protoLoader.loadSync(
    ['kserve/grpc_service.proto', 'tensorflow_serving/apis/prediction_service.proto'],
    CLIENT_LOADER_OPTIONS,
  );
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: ClientCtor };
    tensorflow: { serving: { PredictionService: ClientCtor } };
  };
  return {
    Inference: root.inference.GRPCInferenceService,
    Prediction: root.tensorflow.serving.PredictionService,
    definition,
  };
}

export interface TestServer {
  address: string;
  kserve: grpc.Client;
  tf: grpc.Client;
  close: () => Promise<void>;
}

/** createGrpcServer on 127.0.0.1:0 (insecure) with a KServe and a TF-Serving client connected to it. */
export async function startTestServer(host: ModelHost, options: GrpcServerOptions): Promise<TestServer> {
  const server = createGrpcServer(host, options);
  const port = await bindGrpcServer(server, '127.0.0.1:0', grpc.ServerCredentials.createInsecure());
  const address = `127.0.0.1:${port}`;
  const { Inference, Prediction } = loadClientConstructors();
  const kserve = new Inference(address, grpc.credentials.createInsecure());
  const tf = new Prediction(address, grpc.credentials.createInsecure());
  return {
    address,
    kserve,
    tf,
    close: () =>
      new Promise<void>((done) => {
        kserve.close();
        tf.close();
        server.tryShutdown(() => done());
      }),
  };
}

export interface CallResult<T> {
  response: T;
  initial: grpc.Metadata;
  trailers: grpc.Metadata;
}

export type CallError = grpc.ServiceError & { initial?: grpc.Metadata };

/** One unary call; resolves with the response and both metadata, rejects with the ServiceError (+ initial metadata). */
export function unary<T = Record<string, unknown>>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: Record<string, string> = {},
): Promise<CallResult<T>> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolveCall, rejectCall) => {
    let initial = new grpc.Metadata();
    let response: T | undefined;
    let failure: CallError | undefined;
    const fn = (client as unknown as Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>)[method]!;
    const call = fn.call(
      client,
      request,
      md,
      { deadline: Date.now() + 60_000 },
      (error: grpc.ServiceError | null, value: T) => {
        if (error) failure = error;
        else response = value;
      },
    );
    call.on('metadata', (m: grpc.Metadata) => (initial = m));
    call.on('status', (status: grpc.StatusObject) => {
      // 'status' comes after the callback; both metadata are known by then.
      setImmediate(() => {
        if (failure) rejectCall(Object.assign(failure, { initial }));
        else resolveCall({ response: response as T, initial, trailers: status.metadata });
      });
    });
  });
}

/** Awaits a call expected to fail and returns its error. */
export async function unaryError(
  client: grpc.Client,
  method: string,
  request: object,
  metadata: Record<string, string> = {},
): Promise<CallError> {
  try {
    await unary(client, method, request, metadata);
  } catch (error) {
    return error as CallError;
  }
  throw new Error(`${method} succeeded but was expected to fail`);
}

/** Top-k (index, score) of one row of FP32 confidences, best first, ties by index. */
export function topIndices(row: ArrayLike<number>, k: number): { index: number; score: number }[] {
  return Array.from(row, (score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

/** Triton's raw BYTES layout, written independently of the server's codec. */
export function tritonRawBytes(elements: Buffer[]): Buffer {
  return Buffer.concat(
    elements.flatMap((e) => {
      const length = Buffer.alloc(4);
      length.writeUInt32LE(e.length);
      return [length, e];
    }),
  );
}
