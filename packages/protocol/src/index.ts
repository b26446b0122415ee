/**
 * @tachyon/protocol — the wire contract: error codes, kinds and their HTTP/gRPC statuses.
 *
 * ```ts
 * import { TachyonError } from '@tachyon/protocol';
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
