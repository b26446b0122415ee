/**
 * Every HTTP header and gRPC metadata key that both a tachyon client and a tachyon server spell. Header names are
 * lower case (Node and HTTP/2 give them so); gRPC metadata keys are lower case by definition.
 */

/** Request id: sent by the client, echoed (or generated, a UUID) by the server, in every log line and error body. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Deadline in milliseconds from arrival; past it the answer is TCH_ERR_DEADLINE_EXCEEDED (HTTP 504). */
export const DEADLINE_HEADER = 'x-request-timeout-ms';
/** Scheduling priority, `high` or `normal` (or Triton's levels, 1 = highest). */
export const PRIORITY_HEADER = 'x-request-priority';
/** Where the time of an inference went (`queue;dur=..., preprocess;dur=..., ...`); a gRPC trailer of the same name. */
export const SERVER_TIMING_HEADER = 'server-timing';
/** KServe v2 binary tensor data extension: the length of the JSON part that precedes the binary data. */
export const INFERENCE_HEADER = 'inference-header-content-length';
/** Service keys and the daemon token travel as `authorization: Bearer <key>` (HTTP header and gRPC metadata). */
export const AUTHORIZATION_HEADER = 'authorization';
/** Seconds to wait before retrying (with TCH_ERR_LIMIT_RATE). */
export const RETRY_AFTER_HEADER = 'retry-after';
/** W3C Trace Context. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** gRPC metadata: the request id (initial and trailing metadata), as over HTTP. */
export const GRPC_REQUEST_ID_KEY = REQUEST_ID_HEADER;
/** gRPC trailing metadata of an error: its tachyon error code. */
export const GRPC_ERROR_CODE_KEY = 'tachyon-code';
/** UTF-8 JSON of the error's details (the HTTP body's `details`), binary so labels and names need no escaping. */
export const GRPC_ERROR_DETAILS_KEY = 'tachyon-details-bin';
/** gRPC trailing metadata with the Server-Timing text of an inference. */
export const GRPC_SERVER_TIMING_KEY = SERVER_TIMING_HEADER;
export const GRPC_AUTHORIZATION_KEY = AUTHORIZATION_HEADER;
export const GRPC_TRACEPARENT_KEY = TRACEPARENT_HEADER;
export const GRPC_TRACESTATE_KEY = TRACESTATE_HEADER;

/** The `authorization` value carrying a service key or daemon token: `Bearer <key>`. */
export function bearerAuthorization(key: string): string {
  return `Bearer ${key}`;
}
