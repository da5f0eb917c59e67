import { Metadata, status } from '@grpc/grpc-js';
import { ErrorCode, SpokeError } from '@spoke/core';
import { errorFields } from '../postgres-wire/error-response.js';

/**
 * The gRPC status for each {@link ErrorCode}. A source that rejected a query
 * is INTERNAL rather than UNAVAILABLE: UNAVAILABLE tells clients to retry,
 * which helps only when the source could not be reached.
 */
export const GRPC_STATUS: Readonly<Record<ErrorCode, status>> = {
  SYNTAX_ERROR: status.INVALID_ARGUMENT,
  INVALID_QUERY: status.INVALID_ARGUMENT,
  COLUMN_NOT_FOUND: status.INVALID_ARGUMENT,
  TABLE_NOT_FOUND: status.NOT_FOUND,
  UNSUPPORTED: status.UNIMPLEMENTED,
  POLICY_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  QUERY_CANCELLED: status.CANCELLED,
  QUERY_TIMEOUT: status.DEADLINE_EXCEEDED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  SOURCE_UNAVAILABLE: status.UNAVAILABLE,
  SOURCE_ERROR: status.INTERNAL,
  INVALID_CONFIG: status.INTERNAL,
  INTERNAL: status.INTERNAL,
};

/** The trailer that carries Spoke's own error code beside the gRPC status. */
export const ERROR_CODE_TRAILER = 'x-spoke-error-code';
/**
 * The trailer with the SQLSTATE the Postgres wire would answer for the same
 * error (a source's own SQLSTATE when it sent one), so a gateway reading this
 * one as a peer can keep it.
 */
export const SQLSTATE_TRAILER = 'x-spoke-sqlstate';

/** What a failed call is answered with: the gRPC status, the message, and Spoke's code as a trailer. */
export interface GrpcError {
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
}

/** A protocol-level failure with its gRPC status (unknown ticket, unsupported command…). */
export class FlightError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
    this.name = 'FlightError';
  }
}

/** Turns any thrown value into the status a call ends with. */
export function toGrpcError(error: unknown): GrpcError {
  const metadata = new Metadata();
  if (error instanceof FlightError) return { code: error.code, details: error.message, metadata };
  if (SpokeError.isInstance(error)) {
    metadata.set(ERROR_CODE_TRAILER, error.code);
    metadata.set(SQLSTATE_TRAILER, errorFields(error).code);
    return { code: GRPC_STATUS[error.code] ?? status.INTERNAL, details: error.message, metadata };
  }
  metadata.set(ERROR_CODE_TRAILER, ErrorCode.INTERNAL);
  const details = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details, metadata };
}
