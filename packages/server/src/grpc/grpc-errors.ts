import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  GRPC_ERROR_CODE_KEY,
  GRPC_ERROR_DETAILS_KEY,
  GRPC_REQUEST_ID_KEY,
  GRPC_STATUS_BY_KIND,
  isTachyonError,
} from '@tachyon-serve/protocol';

/** Trailing-metadata keys of a tachyon gRPC error (defined in @tachyon-serve/protocol). */
export { GRPC_ERROR_CODE_KEY, GRPC_ERROR_DETAILS_KEY, GRPC_REQUEST_ID_KEY };

/**
 * THE gRPC error mapping: a TachyonError becomes status GRPC_STATUS_BY_KIND[kind] with its message as details, and
 * trailing metadata `tachyon-code`, `tachyon-details-bin` (when it has details) and `x-request-id`. Anything else is
 * a bug: INTERNAL with a fixed message (never the error's own text, which may hold paths or data).
 */
export function toGrpcError(
  error: unknown,
  requestId: string,
): Partial<ServiceError> & { code: number; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  metadata.set(GRPC_REQUEST_ID_KEY, requestId);
  if (isTachyonError(error)) {
    metadata.set(GRPC_ERROR_CODE_KEY, error.code);
    if (error.details !== undefined) metadata.set(GRPC_ERROR_DETAILS_KEY, Buffer.from(JSON.stringify(error.details)));
    return { code: GRPC_STATUS_BY_KIND[error.kind], details: error.message, metadata };
  }
  return {
    code: GrpcStatus.INTERNAL,
    details: `Internal error; the server log has it under request id "${requestId}".`,
    metadata,
  };
}
