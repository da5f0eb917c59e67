/**
 * Errors from DuckDB and from sources quote the values that failed: "Could
 * not convert string 'alice@example.com' to INT32", "Overflow in
 * multiplication of INT32 (55754 * 2147483647)", PostgreSQL's `invalid input
 * syntax for type integer: "987-65-4329"`. Where a policy shaped the query
 * (a row filter's hidden rows, a masked column, an aggregate-only table),
 * such a value may be one the caller must not see, and a query can be built
 * to fail on exactly the row it wants to read. So an error raised while
 * executing such a query keeps its class and SQLSTATE and loses its text:
 * no quoted string, no number, nothing of the engine's message survives.
 *
 * Binding and planning errors are not passed through here: they name only
 * what the caller typed or may see.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/** What a withheld error still says: its class, as PostgreSQL's SQLSTATE and in words. */
export interface ErrorClass {
  readonly sqlstate: string;
  readonly description: string;
}

/** DuckDB's error classes (the `X Error:` prefix of its messages). */
const DUCKDB_CLASSES: readonly [RegExp, ErrorClass][] = [
  [/^Out of Range Error/, { sqlstate: '22003', description: 'a value is out of range' }],
  [/^Conversion Error/, { sqlstate: '22P02', description: 'a value could not be converted' }],
  [/^Invalid Input Error/, { sqlstate: '22023', description: 'a function received an invalid argument' }],
  [/^Binder Error/, { sqlstate: '42804', description: 'the query could not be bound' }],
  [/^Not implemented Error/, { sqlstate: '0A000', description: 'a feature is not supported' }],
  [/^Out of Memory Error/, { sqlstate: '53200', description: 'out of memory' }],
];

/** PostgreSQL's SQLSTATE classes, for errors that carry one (sources that speak it, or ours). */
const SQLSTATE_CLASSES: Readonly<Record<string, string>> = {
  '22003': 'a value is out of range',
  '22012': 'division by zero',
  '22P02': 'a value could not be converted',
  '22007': 'a date or time value is invalid',
  '22008': 'a date or time value is out of range',
  '22023': 'a function received an invalid argument',
  '2201E': 'an invalid argument for a logarithm',
  '2201F': 'an invalid argument for a power or square root',
  '22014': 'an invalid argument for ntile',
  '42803': 'an aggregate is used where it is not allowed',
  '42P20': 'a window definition is invalid',
  '22': 'a data exception',
  '23': 'an integrity constraint was violated',
  '42': 'the query could not be analysed',
  '53': 'insufficient resources',
  '54': 'a program limit was exceeded',
  '0A': 'a feature is not supported',
};

/** Errors whose text Spoke writes itself and that never quote data: passed through unchanged. */
const PASS_THROUGH = new Set<string>([
  ErrorCode.QUERY_CANCELLED,
  ErrorCode.QUERY_TIMEOUT,
  ErrorCode.POLICY_DENIED,
]);

/** The class of an execution error: from DuckDB's message prefix, the source's SQLSTATE, or the Spoke code. */
export function errorClass(error: unknown): ErrorClass {
  const spoke = SpokeError.isInstance(error) ? error : undefined;
  const explicit = spoke?.details?.sqlstate;
  const causeCode = (spoke?.cause as { code?: unknown } | undefined)?.code;
  const sqlstate =
    typeof explicit === 'string'
      ? explicit
      : typeof causeCode === 'string' && /^[0-9A-Z]{5}$/.test(causeCode)
        ? causeCode
        : undefined;
  if (sqlstate) {
    const description = SQLSTATE_CLASSES[sqlstate] ?? SQLSTATE_CLASSES[sqlstate.slice(0, 2)] ?? 'an error';
    return { sqlstate, description };
  }
  const message = rootMessage(error);
  for (const [pattern, cls] of DUCKDB_CLASSES) if (pattern.test(message)) return cls;
  if (spoke?.code === ErrorCode.SOURCE_UNAVAILABLE)
    return { sqlstate: '58000', description: 'a source is unavailable' };
  if (spoke?.code === ErrorCode.RESOURCE_EXHAUSTED)
    return { sqlstate: '53000', description: 'insufficient resources' };
  return { sqlstate: 'XX000', description: 'an internal error' };
}

/** The message of the innermost DuckDB-looking error in the cause chain (DuckDB's own class prefix). */
function rootMessage(error: unknown): string {
  let message = '';
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const text = (e as Error)?.message;
    if (typeof text === 'string') message = text;
    if (/^[A-Z][A-Za-z ]* Error:/.test(message)) return message;
  }
  return message;
}

/**
 * The error a caller of a policy-shaped query receives: same Spoke code (so
 * the same SQLSTATE family), the error's class and SQLSTATE, no value. The
 * original is kept as `cause` for the operator's logs, which no front end
 * sends to clients.
 */
export function redactErrorValues(error: unknown, appliedRules: readonly string[] = []): unknown {
  if (SpokeError.isInstance(error) && PASS_THROUGH.has(error.code)) return error;
  // DuckDB's binder and parser name columns and tables of the (rewritten) query, never a row's value.
  if (SpokeError.isInstance(error) && /^(Binder|Parser|Catalog) Error/.test(rootMessage(error))) return error;
  const cls = errorClass(error);
  const code = SpokeError.isInstance(error) ? error.code : ErrorCode.INTERNAL;
  const rules = appliedRules.length ? ` (${appliedRules.join(', ')})` : '';
  return new SpokeError(
    code,
    `${cls.description} while running a query over data protected by security policies${rules}; the error's details are withheld (SQLSTATE ${cls.sqlstate})`,
    {
      cause: error,
      details: { sqlstate: cls.sqlstate, withheld: true },
      ...(SpokeError.isInstance(error) && error.source !== undefined ? { source: error.source } : {}),
    },
  );
}

/**
 * The first line of `message` with every quoted literal, '…' or "…",
 * replaced by `'…'`: for texts that are shown to operators (not for errors of
 * policy-shaped queries, which {@link redactErrorValues} withholds whole).
 */
export function redactQuoted(message: string): string {
  const first = message.split('\n', 1)[0]!;
  return first.replace(/'(?:[^']|'')*'/g, "'…'").replace(/"(?:[^"]|"")*"/g, '"…"');
}
