import { ERROR_CODES, type ErrorCode } from './error-codes.js';
import { GRPC_STATUS_BY_KIND, HTTP_STATUS_BY_KIND, type ErrorKind } from './error-kinds.js';

export type ErrorDetails = Readonly<Record<string, unknown>>;

/**
 * The one error type for everything that depends on data or the environment.
 * `kind` comes from the code's row in ERROR_CODES, so a code can never be raised with the wrong status.
 */
export class TachyonError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TachyonError';
    this.code = code;
    this.kind = ERROR_CODES[code].kind;
    this.details = options.details;
  }

  get httpStatus(): number {
    return HTTP_STATUS_BY_KIND[this.kind];
  }

  get grpcStatus(): number {
    return GRPC_STATUS_BY_KIND[this.kind];
  }

  /** The HTTP error body `{ error, code, details? }`, also used to carry errors across worker threads. */
  toJSON(): ErrorBody {
    return this.details === undefined
      ? { error: this.message, code: this.code }
      : { error: this.message, code: this.code, details: this.details };
  }

  static fromJSON(body: ErrorBody): TachyonError {
    const code = isErrorCode(body.code) ? body.code : 'TCH_ERR_SESSION_RUN_FAILED';
    return new TachyonError(code, body.error, body.details === undefined ? {} : { details: body.details });
  }
}

export interface ErrorBody {
  error: string;
  code: string;
  details?: ErrorDetails;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function isTachyonError(value: unknown, code?: ErrorCode): value is TachyonError {
  return value instanceof TachyonError && (code === undefined || value.code === code);
}
