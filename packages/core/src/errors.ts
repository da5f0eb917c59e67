/**
 * Spoke's single error class, with stable codes.
 *
 * Recognise it with {@link SpokeError.isInstance}, not `instanceof`: several
 * copies of `@spoke/core` may be installed side by side (a connector built
 * against another version), and a `Symbol.for` marker is shared across them.
 */

/** Stable error codes. The gateway maps each to an HTTP status and a SQLSTATE. */
export const ErrorCode = {
  /** The SQL text could not be parsed. */
  SYNTAX_ERROR: 'SYNTAX_ERROR',
  /** A table, schema or source named in the query does not exist. */
  TABLE_NOT_FOUND: 'TABLE_NOT_FOUND',
  /** A column named in the query does not exist (or is ambiguous). */
  COLUMN_NOT_FOUND: 'COLUMN_NOT_FOUND',
  /** The query is valid SQL but uses something Spoke does not support. */
  UNSUPPORTED: 'UNSUPPORTED',
  /** The query is semantically wrong (type mismatch, bad parameter, …). */
  INVALID_QUERY: 'INVALID_QUERY',
  /** A source could not be reached or went away mid-query. */
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  /** A source rejected the query it was sent. */
  SOURCE_ERROR: 'SOURCE_ERROR',
  /** A security policy refused the query. */
  POLICY_DENIED: 'POLICY_DENIED',
  /** The query was cancelled through its AbortSignal. */
  QUERY_CANCELLED: 'QUERY_CANCELLED',
  /** The query ran past its time limit. */
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  /** A configuration value is missing or wrong. */
  INVALID_CONFIG: 'INVALID_CONFIG',
  /** The caller is not authenticated or not allowed to connect. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A limit (rows, bytes, concurrency) was reached. */
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  /** A bug in Spoke: an invariant did not hold. */
  INTERNAL: 'INTERNAL',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const MARKER = Symbol.for('@spoke/core/SpokeError');

/** Options for {@link SpokeError}. */
export interface SpokeErrorOptions {
  /** The error that caused this one — a driver's error keeps all its own fields here. */
  cause?: unknown;
  /** The source (configured name) the error came from, when there is one. */
  source?: string;
  /** Structured details (for example the closest existing name for a typo). */
  details?: Record<string, unknown>;
}

/** The error every Spoke package throws, carrying a stable {@link ErrorCode}. */
export class SpokeError extends Error {
  readonly [MARKER] = true;
  /** The stable code. */
  readonly code: ErrorCode;
  /** The configured source name, when the error came from one. */
  readonly source: string | undefined;
  /** Structured details. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SpokeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpokeError';
    this.code = code;
    this.source = options.source;
    this.details = options.details;
  }

  /** True when `value` is a SpokeError from any installed copy of `@spoke/core`. */
  static isInstance(value: unknown): value is SpokeError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  /** A {@link ErrorCode.QUERY_CANCELLED} error, with the signal's reason as its cause. */
  static cancelled(signal?: AbortSignal): SpokeError {
    return new SpokeError(ErrorCode.QUERY_CANCELLED, 'query cancelled', { cause: signal?.reason });
  }
}

/**
 * Why `signal` was aborted: its reason when that is a SpokeError (a timeout,
 * the engine closing), else {@link SpokeError.cancelled}. For a signal shared
 * by the layers of one statement, each of which may abort it for its own
 * reason.
 */
export function abortReason(signal: AbortSignal): SpokeError {
  return SpokeError.isInstance(signal.reason) ? signal.reason : SpokeError.cancelled(signal);
}

/** Throws {@link ErrorCode.QUERY_CANCELLED} when `signal` has been aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw SpokeError.cancelled(signal);
}
