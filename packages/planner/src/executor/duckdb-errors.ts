import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * Maps a DuckDB error to a Spoke error with a stable code, keeping DuckDB's
 * error as the cause. DuckDB prefixes messages with their class
 * ("Binder Error: …"), which is what decides the code.
 */
export function translateDuckDBError(error: unknown, signal?: AbortSignal): unknown {
  if (SpokeError.isInstance(error)) return error;
  if (signal?.aborted) return SpokeError.cancelled(signal);
  const message = (error as Error)?.message ?? String(error);
  const missingFunction =
    /^Catalog Error: (?:Scalar |Aggregate |Table |Pragma )?(?:Function|Macro Function) with name "?([^\s"!]+)"? does not exist/.exec(
      message,
    );
  if (missingFunction) {
    // A function the allow-list accepts that this path's DuckDB lacks (a catalog-only function used over
    // sources): PostgreSQL's words, without DuckDB's "did you mean" list of its own function names.
    return new SpokeError(ErrorCode.INVALID_QUERY, `function ${missingFunction[1]}(…) does not exist`, {
      cause: error,
      details: { sqlstate: '42883' },
    });
  }
  if (message.startsWith('Permission Error')) {
    // The sandbox refused host access (residual-sandbox.ts); DuckDB's text would name its settings.
    return new SpokeError(
      ErrorCode.POLICY_DENIED,
      'queries cannot read files, reach the network or load extensions on the gateway host',
      { cause: error, details: { sqlstate: '42501' } },
    );
  }
  const code = message.startsWith('Parser Error')
    ? ErrorCode.SYNTAX_ERROR
    : /^(Binder|Conversion|Invalid Input|Catalog|Constraint|Not implemented|Out of Range) Error/.test(message)
      ? message.startsWith('Not implemented')
        ? ErrorCode.UNSUPPORTED
        : ErrorCode.INVALID_QUERY
      : /^INTERRUPT|Interrupted/.test(message)
        ? ErrorCode.QUERY_CANCELLED
        : /Out of Memory/i.test(message)
          ? ErrorCode.RESOURCE_EXHAUSTED
          : ErrorCode.INTERNAL;
  // Residual relations are an implementation detail: do not show them to the user.
  const clean = message
    .replace(/"?__spoke_\d+"?\./g, '')
    .replace(/Candidate bindings:.*$/s, '')
    .trim();
  return new SpokeError(code, clean, { cause: error });
}
