/**
 * @tachyon-serve/protocol — the whole wire contract, spelled once for client and server: error codes, kinds and their
 * HTTP/gRPC statuses; HTTP header and gRPC metadata names; KServe v2 datatypes and JSON shapes; the classification
 * text codec; the .proto files and how to load them; the deployment daemon's API shapes.
 *
 * ```ts
 * import { TachyonError } from '@tachyon-serve/protocol';
 * throw new TachyonError('TCH_ERR_IMAGE_EMPTY', 'Image "cat.jpg" has zero bytes.');
 * // err.kind === 'INVALID_ARG', err.httpStatus === 400, err.toJSON() -> { error, code }
 * ```
 */
export * from './error-kinds.js';
export * from './error-codes.js';
export * from './tachyon-error.js';
export * from './deployments.js';
export type * from './dashboard-api.js';
export * from './raw-bytes.js';
export * from './wire-names.js';
export * from './kserve-types.js';
export * from './classification-text.js';
export * from './grpc-protos.js';
