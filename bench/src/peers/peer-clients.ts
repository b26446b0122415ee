// One client per peer: each `call()` sends the benchmark image and reads the whole top-5 answer, as a user of that
// peer would. HTTP clients are undici Pools (keep-alive, one connection per concurrent client, no pipelining); the
// gRPC client is one @grpc/grpc-js channel (HTTP/2 multiplexes the concurrent calls, as gRPC clients do).
import * as grpc from '@grpc/grpc-js';
import { Pool } from 'undici';
import { loadGrpcServices } from '@tachyon-serve/server';
import { RawPeerClassifier, TORCHVISION224 } from '../server/raw-peer.js';
import { imagenetClassNames } from '@tachyon-serve/core';
import type { SuiteModel } from './peer-models.js';
import { SERVED_NAME, type TachyonChildReady } from './tachyon-protocol.js';

export const PEER_NAMES = [
  'tachyon-http',
  'tachyon-kserve-http',
  'tachyon-kserve-grpc',
  'raw-ort-sharp',
  'pytorch-fastapi',
] as const;
export type PeerName = (typeof PEER_NAMES)[number];

export const PEER_DESCRIPTIONS: Readonly<Record<PeerName, string>> = Object.freeze({
  'tachyon-http': 'tachyon server, raw image route `POST /v1/services/m/classify` (JPEG body, top-5 JSON)',
  'tachyon-kserve-http':
    'tachyon server, KServe v2 `POST /v2/models/m/infer` with the binary tensor extension (BYTES input, classification 5, binary output)',
  'tachyon-kserve-grpc':
    'tachyon server, KServe v2 gRPC `ModelInfer` (bytes_contents, classification 5), @grpc/grpc-js client',
  'raw-ort-sharp':
    "in-process floor: sharp decode/resize + JS crop/normalize + onnxruntime-node `InferenceSession.run` (tachyon's session options) + top-5, no server",
  'pytorch-fastapi':
    'PyTorch eager (torchvision model, PIL + torchvision transforms) behind FastAPI + uvicorn, `torch.set_num_threads(cores)`',
});

export interface PeerClient {
  name: PeerName;
  call: () => Promise<void>;
  close: () => Promise<void>;
}

async function expectOk(res: { statusCode: number; body: { text(): Promise<string> } }, what: string): Promise<string> {
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${what}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
  return text;
}

/** `timings` receives the Server-Timing header of each answer while it is defined (tachyon's own breakdown). */
export function tachyonHttpClient(
  ready: TachyonChildReady,
  image: Uint8Array,
  connections: number,
  timings?: { headers: string[] | undefined },
): PeerClient {
  const pool = new Pool(ready.httpUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { authorization: `Bearer ${ready.key}`, 'content-type': 'image/jpeg' };
  return {
    name: 'tachyon-http',
    call: async () => {
      const res = await pool.request({
        method: 'POST',
        path: `/v1/services/${SERVED_NAME}/classify`,
        headers,
        body: image,
      });
      const timing = res.headers['server-timing'];
      const text = await expectOk(res, 'tachyon-http');
      if (timings?.headers && typeof timing === 'string') timings.headers.push(timing);
      if (!(JSON.parse(text) as { results?: unknown[] }).results?.length) throw new Error('tachyon-http: no results');
    },
    close: () => pool.close(),
  };
}

/** The KServe v2 binary request: JSON header, then the BYTES element (4-byte little-endian length + the JPEG). */
export function kserveBinaryBody(image: Uint8Array): { body: Buffer; headerLength: number } {
  const element = Buffer.alloc(4 + image.length);
  element.writeUInt32LE(image.length, 0);
  element.set(image, 4);
  const json = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: element.length } }],
      outputs: [{ name: 'scores', parameters: { classification: 5, binary_data: true } }],
    }),
  );
  return { body: Buffer.concat([json, element]), headerLength: json.length };
}

export function tachyonKserveHttpClient(ready: TachyonChildReady, image: Uint8Array, connections: number): PeerClient {
  const pool = new Pool(ready.httpUrl, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const { body, headerLength } = kserveBinaryBody(image);
  const headers = {
    authorization: `Bearer ${ready.key}`,
    'content-type': 'application/octet-stream',
    'inference-header-content-length': String(headerLength),
  };
  return {
    name: 'tachyon-kserve-http',
    call: async () => {
      const res = await pool.request({ method: 'POST', path: `/v2/models/${SERVED_NAME}/infer`, headers, body });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200)
        throw new Error(`tachyon-kserve-http: HTTP ${res.statusCode} ${bytes.toString('utf8', 0, 200)}`);
      const length = Number(res.headers['inference-header-content-length'] ?? bytes.length);
      const head = JSON.parse(bytes.toString('utf8', 0, length)) as { outputs?: { shape?: number[] }[] };
      if (head.outputs?.[0]?.shape?.[1] !== 5) throw new Error('tachyon-kserve-http: no top-5 output');
    },
    close: () => pool.close(),
  };
}

type ModelInferClient = grpc.Client & {
  ModelInfer: (
    req: unknown,
    md: grpc.Metadata,
    cb: (err: grpc.ServiceError | null, res: { outputs?: unknown[] }) => void,
  ) => void;
};

export function tachyonKserveGrpcClient(ready: TachyonChildReady, image: Uint8Array): PeerClient {
  const Ctor = grpc.makeClientConstructor(loadGrpcServices().kserve, 'GRPCInferenceService');
  const client = new Ctor(ready.grpcAddress, grpc.credentials.createInsecure()) as unknown as ModelInferClient;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${ready.key}`);
  const request = {
    model_name: SERVED_NAME,
    inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], contents: { bytes_contents: [Buffer.from(image)] } }],
    outputs: [{ name: 'scores', parameters: { classification: { int64_param: 5 } } }],
  };
  return {
    name: 'tachyon-kserve-grpc',
    call: () =>
      new Promise<void>((resolve, reject) =>
        client.ModelInfer(request, metadata, (err, res) =>
          err ? reject(err) : res.outputs?.length ? resolve() : reject(new Error('tachyon-kserve-grpc: no outputs')),
        ),
      ),
    close: async () => client.close(),
  };
}

export async function rawOrtClient(
  model: SuiteModel,
  image: Uint8Array,
  threads: number,
): Promise<PeerClient & { peer: RawPeerClassifier }> {
  const peer = await RawPeerClassifier.create({
    modelPath: model.path,
    input: model.input,
    output: model.output,
    preprocess: TORCHVISION224,
    labels: imagenetClassNames(),
    outputKind: model.outputKind,
    intraOpNumThreads: threads,
  });
  return {
    name: 'raw-ort-sharp',
    peer,
    call: async () => {
      if ((await peer.classify(image, 5)).length !== 5) throw new Error('raw-ort-sharp: no top-5');
    },
    close: () => peer.release(),
  };
}

export function pytorchClient(url: string, image: Uint8Array, connections: number): PeerClient {
  const pool = new Pool(url, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  return {
    name: 'pytorch-fastapi',
    call: async () => {
      const text = await expectOk(
        await pool.request({
          method: 'POST',
          path: '/classify',
          headers: { 'content-type': 'image/jpeg' },
          body: image,
        }),
        'pytorch-fastapi',
      );
      if ((JSON.parse(text) as { top?: unknown[] }).top?.length !== 5) throw new Error('pytorch-fastapi: no top-5');
    },
    close: () => pool.close(),
  };
}
