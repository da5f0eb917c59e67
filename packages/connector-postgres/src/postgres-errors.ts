import { ErrorCode, SpokeError } from '@spoke/core';

/** PostgreSQL and socket error codes that mean "the source is not reachable" rather than "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '3D000']);
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'ENOENT',
]);

/**
 * Maps a driver error to a {@link SpokeError}, keeping the driver's error
 * (with PostgreSQL's code, detail, hint…) as the cause.
 */
export function toSpokeError(error: unknown, source: string, signal?: AbortSignal): SpokeError {
  if (SpokeError.isInstance(error)) return error;
  if (signal?.aborted) return SpokeError.cancelled(signal);
  const e = (error ?? {}) as { code?: string; message?: string };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = e.message ?? String(error);
  const make = (c: ErrorCode, text: string) =>
    new SpokeError(c, `${source}: ${text}`, { cause: error, source });
  if (code === '57014') {
    return message.includes('statement timeout')
      ? make(ErrorCode.QUERY_TIMEOUT, message)
      : make(ErrorCode.QUERY_CANCELLED, message);
  }
  if (
    code.startsWith('08') ||
    UNAVAILABLE_SQLSTATES.has(code) ||
    UNAVAILABLE_ERRNO.has(code) ||
    /Connection terminated|connection closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
      message,
    )
  ) {
    return make(ErrorCode.SOURCE_UNAVAILABLE, `PostgreSQL is unavailable: ${message}`);
  }
  if (code === '42P01') return make(ErrorCode.TABLE_NOT_FOUND, message);
  if (code === '42703') return make(ErrorCode.COLUMN_NOT_FOUND, message);
  if (code === '28P01' || code === '28000') return make(ErrorCode.UNAUTHENTICATED, message);
  return make(ErrorCode.SOURCE_ERROR, message);
}
