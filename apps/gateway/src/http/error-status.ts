import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * The HTTP status for each {@link ErrorCode}. Client mistakes are 4xx; a
 * source that failed is 502/503 (the gateway is a gateway), a Spoke bug 500.
 * `QUERY_CANCELLED` is 499 ("client closed request"): the usual cause is the
 * client going away, and then nobody reads the status.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  SYNTAX_ERROR: 400,
  INVALID_QUERY: 400,
  COLUMN_NOT_FOUND: 400,
  TABLE_NOT_FOUND: 404,
  UNSUPPORTED: 501,
  POLICY_DENIED: 403,
  UNAUTHENTICATED: 401,
  QUERY_CANCELLED: 499,
  QUERY_TIMEOUT: 504,
  RESOURCE_EXHAUSTED: 429,
  SOURCE_UNAVAILABLE: 503,
  SOURCE_ERROR: 502,
  INVALID_CONFIG: 500,
  INTERNAL: 500,
};

/** Codes the HTTP layer itself uses, beside the {@link ErrorCode}s. */
export const HttpErrorCode = {
  /** The request body is not the JSON the endpoint expects. */
  BAD_REQUEST: 'BAD_REQUEST',
  /** No such endpoint. */
  NOT_FOUND: 'NOT_FOUND',
  /** The endpoint exists but not for this method. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** The request body is larger than the server accepts. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
} as const;

/** An error the HTTP layer answers with before any query runs. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The JSON error body's fields and the status, for any thrown value. */
export function describeError(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message };
  if (SpokeError.isInstance(error)) {
    return { status: ERROR_STATUS[error.code] ?? 500, code: error.code, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, code: ErrorCode.INTERNAL, message };
}
