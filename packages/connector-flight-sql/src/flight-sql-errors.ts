/**
 * gRPC failures from a Flight SQL server as {@link SpokeError}s: a stable
 * code chosen from the gRPC status (or, from a Spoke peer, the remote's own
 * error code and SQLSTATE, which its endpoint sends as trailers), the
 * remote's message kept word for word, and every field it sent in `details`.
 */
import { status as GrpcStatus, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { ErrorCode, SpokeError } from '@spoke/core';

/** Trailer with Spoke's error code on a failed call from a Spoke gateway. */
export const ERROR_CODE_TRAILER = 'x-spoke-error-code';
/** Trailer with the SQLSTATE a Spoke gateway would have answered on the Postgres wire. */
export const SQLSTATE_TRAILER = 'x-spoke-sqlstate';

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  [GrpcStatus.CANCELLED]: ErrorCode.QUERY_CANCELLED,
  [GrpcStatus.DEADLINE_EXCEEDED]: ErrorCode.QUERY_TIMEOUT,
  [GrpcStatus.PERMISSION_DENIED]: ErrorCode.POLICY_DENIED,
  [GrpcStatus.RESOURCE_EXHAUSTED]: ErrorCode.RESOURCE_EXHAUSTED,
  [GrpcStatus.UNIMPLEMENTED]: ErrorCode.UNSUPPORTED,
  [GrpcStatus.UNAVAILABLE]: ErrorCode.SOURCE_UNAVAILABLE,
  // The link's credentials were refused: the remote is unusable, the local caller is fine.
  [GrpcStatus.UNAUTHENTICATED]: ErrorCode.SOURCE_UNAVAILABLE,
};

/** The SQLSTATE for a remote that sent none, by gRPC status. */
const SQLSTATE_BY_STATUS: Partial<Record<number, string>> = {
  [GrpcStatus.PERMISSION_DENIED]: '42501',
  [GrpcStatus.INVALID_ARGUMENT]: '42000',
  [GrpcStatus.NOT_FOUND]: '42P01',
  [GrpcStatus.UNIMPLEMENTED]: '0A000',
};

/** Codes a Spoke peer sends that keep their meaning here. */
const PASSED_THROUGH = new Set<string>([
  ErrorCode.SYNTAX_ERROR,
  ErrorCode.TABLE_NOT_FOUND,
  ErrorCode.COLUMN_NOT_FOUND,
  ErrorCode.UNSUPPORTED,
  ErrorCode.INVALID_QUERY,
  ErrorCode.SOURCE_UNAVAILABLE,
  ErrorCode.SOURCE_ERROR,
  ErrorCode.POLICY_DENIED,
  ErrorCode.QUERY_CANCELLED,
  ErrorCode.QUERY_TIMEOUT,
  ErrorCode.RESOURCE_EXHAUSTED,
]);

function isServiceError(error: unknown): error is ServiceError {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as ServiceError).code === 'number' &&
    'details' in (error as object)
  );
}

function trailer(metadata: Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return value === undefined ? undefined : value.toString();
}

/**
 * The {@link SpokeError} for a failed call to source `sourceName`; `what`
 * names the step (`query failed`, `catalog`). SpokeErrors pass unchanged.
 */
export function remoteError(error: unknown, sourceName: string, what: string): SpokeError {
  if (SpokeError.isInstance(error)) return error;
  if (!isServiceError(error)) {
    return new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `${sourceName}: ${what}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, source: sourceName },
    );
  }
  const remoteCode = trailer(error.metadata, ERROR_CODE_TRAILER);
  let sqlstate = trailer(error.metadata, SQLSTATE_TRAILER) ?? SQLSTATE_BY_STATUS[error.code];
  let remoteSqlstate: string | undefined;
  // The link's own login or connection failing (classes 28 and 08) is the source being unavailable
  // to this gateway, not the client's session: drivers drop their connection on those classes.
  if (error.code === GrpcStatus.UNAUTHENTICATED || /^(28|08)/.test(sqlstate ?? '')) {
    remoteSqlstate = sqlstate;
    sqlstate = undefined;
  }
  const code =
    remoteCode !== undefined && PASSED_THROUGH.has(remoteCode)
      ? (remoteCode as ErrorCode)
      : (CODE_BY_STATUS[error.code] ?? ErrorCode.SOURCE_ERROR);
  const statusName = GrpcStatus[error.code] ?? String(error.code);
  const details: Record<string, unknown> = {
    grpcStatus: statusName,
    remoteMessage: error.details,
    ...(remoteCode === undefined ? {} : { remoteCode }),
    ...(sqlstate === undefined ? {} : { sqlstate }),
    ...(remoteSqlstate === undefined ? {} : { remoteSqlstate }),
  };
  const message =
    code === ErrorCode.QUERY_CANCELLED
      ? `${sourceName}: the remote query was cancelled${error.details ? `: ${error.details}` : ''}`
      : `${sourceName}: ${what}: ${error.details || statusName}`;
  return new SpokeError(code, message, { cause: error, source: sourceName, details });
}
