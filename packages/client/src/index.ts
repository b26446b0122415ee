/**
 * @tachyon-serve/client — call a running tachyon server over HTTP(S) or gRPC, and a workspace's deployment daemon. Depends
 * on @tachyon-serve/protocol (and undici, @grpc/grpc-js, @grpc/proto-loader) only.
 *
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createClient } from '@tachyon-serve/client';
 *
 * // `tachyon serve --model mobilenetv2-int8 --name mnv2` prints {"http": ..., "keys": {"primary": ...}}
 * const client = createClient({ url: 'http://127.0.0.1:8000', key: process.env.TACHYON_KEY, timeoutMs: 5000 });
 * const jpeg = readFileSync('../shared/images/imagenet-sample/n01443537_goldfish.JPEG');
 * const [result] = await client.classify('mnv2', jpeg, { top: 3 }); // result.top[0].label === 'goldfish'
 * const [scores] = await client.infer('mnv2', jpeg);                 // Float32Array of 1000 confidences
 * await client.close();
 * ```
 *
 * HTTPS with a private CA: `createClient({ url: 'https://host:8000', key, ca: readFileSync('ca.pem') })`.
 * gRPC (KServe v2 ModelInfer; same methods, same results): `createClient({ protocol: 'grpc', grpcAddress:
 * '127.0.0.1:8001', key, ca })` (TLS when `ca` is given or `tls: true`). Calls retry UNAVAILABLE with backoff.
 * Errors are `TachyonError`s: the server's own code (e.g. `TCH_ERR_AUTH_INVALID`) or a client one
 * (`TCH_ERR_CLIENT_UNREACHABLE`, `TCH_ERR_CLIENT_TLS_FAILED`, `TCH_ERR_CLIENT_DEADLINE`). grpc-js is loaded with the
 * first gRPC client only.
 *
 * The workspace's deployment daemon (docs/deployments.md), when it runs:
 * `const daemon = await findDaemonAt('/path/to/ws'); await daemon?.listServices();` (`ensureDaemon` of
 * @tachyon-serve/server starts one).
 */
export * from './client-options.js';
export { errorFromReply, type HttpCall, type HttpReply } from './http-transport.js';
export { decodeScores, encodeImagesRequest, INFERENCE_HEADER } from './kserve-binary.js';
export { encodeClassifyBody, sniffImageType } from './image-body.js';
export * from './tachyon-client.js';
export { DaemonClient, type DaemonClientOptions, type WaitForServiceOptions } from './daemon-client.js';
export { findDaemonAt, readDaemonInfoFile, readDaemonTokenFile } from './daemon-discovery.js';
export { probeDaemon } from './daemon-probe.js';
export { TachyonError, isTachyonError } from '@tachyon-serve/protocol';
