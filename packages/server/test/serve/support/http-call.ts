import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { KSERVE_PROTO, PROTO_LOADER_OPTIONS } from '../../../src/grpc/grpc-protos.js';

export interface HttpAnswer {
  status: number;
  body: unknown;
  /** Whether the request went over a kept-alive connection opened before. */
  reusedSocket: boolean;
}

/** One request through `agent` (an https.Agent carries the CA to trust); resolves on any HTTP status. */
export function call(
  url: string,
  options: { agent?: http.Agent; method?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer } = {},
): Promise<HttpAnswer> {
  const { method = 'GET', headers = {}, body, agent } = options;
  const send = url.startsWith('https:') ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) },
        ...(agent ? { agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, reusedSocket: req.reusedSocket });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** multipart/form-data with one part per image, as the raw-image endpoint takes several images. */
export function multipart(images: readonly Buffer[]): { body: Buffer; contentType: string } {
  const boundary = `b${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  images.forEach((image, i) => {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image${i}"; filename="image${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      image,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

type KserveClient = grpc.Client & {
  ServerLive: (
    req: object,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: { live: boolean }) => void,
  ) => void;
};

/** KServe v2 ServerLive over a fresh channel trusting `ca` (PEM) only: shows which certificate new connections get. */
export async function grpcServerLive(address: string, ca: Buffer): Promise<boolean> {
  const definition = protoLoader.loadSync(KSERVE_PROTO, { ...PROTO_LOADER_OPTIONS });
  type Ctor = new (a: string, c: grpc.ChannelCredentials, o: grpc.ChannelOptions) => KserveClient;
  const Client = (grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: Ctor } })
    .inference.GRPCInferenceService;
  // grpc-js would send the IP as TLS server name (Node warns: RFC 6066 forbids it); the certificate also names localhost.
  const client = new Client(address, grpc.credentials.createSsl(ca), { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    return await new Promise<boolean>((resolve, reject) => {
      client.ServerLive({}, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (error, res) =>
        error ? reject(error) : resolve(res.live),
      );
    });
  } finally {
    client.close();
  }
}
