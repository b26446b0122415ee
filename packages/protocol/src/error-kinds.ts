/**
 * The closed set of error kinds (Triton's), and the only place that maps a kind to an HTTP or gRPC status.
 * Every transport derives its status from the kind; codes never carry a status of their own.
 */
export const ERROR_KINDS = [
  'INVALID_ARG',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'UNAVAILABLE',
  'UNSUPPORTED',
  'CANCELLED',
  'DEADLINE_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'INTERNAL',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  INVALID_ARG: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  UNAVAILABLE: 503,
  UNSUPPORTED: 400,
  CANCELLED: 499,
  DEADLINE_EXCEEDED: 504,
  RESOURCE_EXHAUSTED: 429,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  INTERNAL: 500,
});

/** Numeric gRPC status codes (grpc/status.proto), kept here so the protocol package needs no grpc dependency. */
export const GRPC_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  INVALID_ARG: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  UNAVAILABLE: 14,
  UNSUPPORTED: 12,
  CANCELLED: 1,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
});
