/**
 * Maps errors to the fields of a PostgreSQL ErrorResponse, SQLSTATE first:
 * drivers branch on the code (retry, reconnect, report), not on the message.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/** SQLSTATE for each {@link ErrorCode}. */
const SQLSTATE_BY_CODE: Readonly<Record<ErrorCode, string>> = {
  [ErrorCode.SYNTAX_ERROR]: '42601',
  [ErrorCode.TABLE_NOT_FOUND]: '42P01',
  [ErrorCode.COLUMN_NOT_FOUND]: '42703',
  [ErrorCode.UNSUPPORTED]: '0A000',
  // datatype_mismatch; errors about a bad value carry `details.sqlstate` 22023/22P02 instead.
  [ErrorCode.INVALID_QUERY]: '42804',
  // Not 08006: drivers (pgjdbc, psycopg) treat class 08 as "this connection is dead" and
  // drop it, while only the source is gone; 58000 (system_error) keeps the session usable.
  [ErrorCode.SOURCE_UNAVAILABLE]: '58000',
  [ErrorCode.SOURCE_ERROR]: '58000',
  [ErrorCode.POLICY_DENIED]: '42501',
  [ErrorCode.QUERY_CANCELLED]: '57014',
  [ErrorCode.QUERY_TIMEOUT]: '57014',
  [ErrorCode.INVALID_CONFIG]: 'F0000',
  [ErrorCode.UNAUTHENTICATED]: '28000',
  [ErrorCode.RESOURCE_EXHAUSTED]: '53000',
  [ErrorCode.INTERNAL]: 'XX000',
};

/** The fields of one ErrorResponse (or NoticeResponse). */
export interface ErrorFields {
  readonly severity: 'ERROR' | 'FATAL';
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the statement. */
  readonly position?: number;
}

function isSqlState(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9A-Z]{5}$/.test(value);
}

/** The ErrorResponse fields for anything thrown while serving a statement. */
export function errorFields(error: unknown): ErrorFields {
  if (SpokeError.isInstance(error)) {
    const details = error.details ?? {};
    const cause = error.cause as { code?: unknown } | undefined;
    // A source that speaks SQLSTATE (PostgreSQL, via its driver's error `code`) knows best.
    const code = isSqlState(details.sqlstate)
      ? details.sqlstate
      : error.code === ErrorCode.SOURCE_ERROR && isSqlState(cause?.code)
        ? cause.code
        : (SQLSTATE_BY_CODE[error.code] ?? 'XX000');
    const fields: { -readonly [K in keyof ErrorFields]: ErrorFields[K] } = {
      severity: 'ERROR',
      code,
      message: error.message,
    };
    if (error.source !== undefined) fields.detail = `source: ${error.source}`;
    if (typeof details.hint === 'string') fields.hint = details.hint;
    else if (typeof details.closest === 'string') fields.hint = `Perhaps you meant "${details.closest}".`;
    if (typeof details.position === 'number') fields.position = details.position;
    return fields;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { severity: 'ERROR', code: 'XX000', message };
}
