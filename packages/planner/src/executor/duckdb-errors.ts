import { ErrorCode, SpokeError } from '@spoke/core';
import { DIVISION_BY_ZERO } from './division-by-zero.js';
import { RAISED_ERRORS } from './postgres-functions.js';

/** DuckDB's type names (and its literal pseudo-types) as PostgreSQL spells them in messages. */
const PG_TYPE_NAMES: Readonly<Record<string, string>> = {
  INTEGER_LITERAL: 'integer',
  STRING_LITERAL: 'unknown',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  TINYINT: 'smallint',
  INT8: 'smallint',
  SMALLINT: 'smallint',
  INT16: 'smallint',
  INTEGER: 'integer',
  INT32: 'integer',
  BIGINT: 'bigint',
  INT64: 'bigint',
  HUGEINT: 'numeric',
  INT128: 'numeric',
  UTINYINT: 'smallint',
  USMALLINT: 'integer',
  UINTEGER: 'bigint',
  UBIGINT: 'numeric',
  FLOAT: 'real',
  REAL: 'real',
  DOUBLE: 'double precision',
  DECIMAL: 'numeric',
  VARCHAR: 'text',
  BLOB: 'bytea',
  DATE: 'date',
  TIME: 'time without time zone',
  TIMESTAMP: 'timestamp without time zone',
  'TIMESTAMP WITH TIME ZONE': 'timestamp with time zone',
  TIMESTAMP_TZ: 'timestamp with time zone',
  INTERVAL: 'interval',
  UUID: 'uuid',
  JSON: 'json',
  NULL: 'unknown',
  '"NULL"': 'unknown',
};

/** A DuckDB type (`DECIMAL(15,2)`, `INTEGER[]`, `INTEGER_LITERAL`) as PostgreSQL names it. */
export function pgTypeName(duckType: string): string {
  const type = duckType.trim();
  if (type.endsWith('[]')) return `${pgTypeName(type.slice(0, -2))}[]`;
  const base = type.replace(/\(.*\)$/, '').toUpperCase();
  return PG_TYPE_NAMES[base] ?? type.toLowerCase();
}

function splitTypes(list: string): string[] {
  // Types may carry parenthesized modifiers (`DECIMAL(15,2)`): split on top-level commas only.
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of list) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim()) out.push(current);
  return out.map((t) => t.trim());
}

/** `+(INTEGER, BOOLEAN)` → `operator does not exist: integer + boolean`; `length(INTEGER_LITERAL)` → `function length(integer) does not exist`. */
function undefinedCallable(call: string): string | undefined {
  const match = /^(.+?)\((.*)\)$/s.exec(call.trim());
  if (!match) return undefined;
  const [, name, list] = match as unknown as [string, string, string];
  const types = splitTypes(list).map(pgTypeName);
  if (/^[^\w\s]+$/.test(name)) {
    return types.length === 2
      ? `operator does not exist: ${types[0]} ${name} ${types[1]}`
      : `operator does not exist: ${name} ${types[0] ?? ''}`.trim();
  }
  return `function ${name}(${types.join(', ')}) does not exist`;
}

/** DuckDB's conversion targets (`INT32`, `DOUBLE`, `DATE`) in PostgreSQL's `invalid input syntax for type …`. */
const INPUT_SQLSTATE: Readonly<Record<string, string>> = {
  date: '22007',
  'timestamp without time zone': '22007',
  'timestamp with time zone': '22007',
  'time without time zone': '22007',
};

interface Mapped {
  readonly message: string;
  readonly sqlstate: string;
  readonly code?: ErrorCode;
}

/** The type PostgreSQL names for an integer overflowing at `value` (the most negative value of its type). */
function integerTypeOf(value: string): string {
  const digits = value.replace(/^-/, '').length;
  return digits <= 5 ? 'smallint' : digits <= 10 ? 'integer' : 'bigint';
}

const INTEGER_WIDTHS: Readonly<Record<string, string>> = {
  INT8: 'smallint',
  INT16: 'smallint',
  INT32: 'integer',
  INT64: 'bigint',
};

/**
 * DuckDB's errors of arithmetic, casts, regular expressions and window
 * arguments (raised where PostgreSQL raises its own), in PostgreSQL's words
 * and SQLSTATE — DuckDB's text would otherwise reach the client as 42804.
 */
function mathematicalError(line: string): Mapped | undefined {
  if (/^cannot take logarithm of (?:zero|a negative number)$/.test(line))
    return { message: line, sqlstate: '2201E' };
  if (line === 'cannot take square root of a negative number') return { message: line, sqlstate: '2201F' };
  if (line === 'factorial of a negative number is undefined') return { message: line, sqlstate: '22003' };
  if (/^divison by zero in based logarithm/.test(line))
    return { message: 'division by zero', sqlstate: '22012' };
  let m = /^Overflow in division of (-?\d+) \/ -1/.exec(line);
  if (m) return { message: `${integerTypeOf(m[1]!)} out of range`, sqlstate: '22003' };
  m = /^Overflow on abs\((-?\d+)\)/.exec(line);
  if (m) return { message: `${integerTypeOf(m[1]!)} out of range`, sqlstate: '22003' };
  m = /^Failed to cast decimal value \S+ to type (INT\d+)/.exec(line);
  if (m) return { message: `${INTEGER_WIDTHS[m[1]!] ?? 'integer'} out of range`, sqlstate: '22003' };
  if (
    /^Could not cast value \S+ to DECIMAL\(/.test(line) ||
    /^Casting value .* to type DECIMAL\(.*out of range/.test(line)
  )
    return { message: 'numeric field overflow', sqlstate: '22003' };
  if (/^Value out of range$/.test(line)) return { message: 'value out of range', sqlstate: '22003' };
  m = /^Unrecognized Regex option (.)/.exec(line);
  if (m) return { message: `invalid regular expression option: "${m[1]}"`, sqlstate: '22023' };
  if (/^invalid escape sequence: \\\d/.test(line))
    return {
      message: 'invalid regular expression: back-references (\\1) are not supported',
      sqlstate: '2201B',
    };
  if (/^Argument for ntile must be greater than zero/.test(line))
    return { message: 'argument of ntile must be greater than zero', sqlstate: '22014' };
  if (/^interval cannot be 0!?$/.test(line))
    return { message: 'step size cannot equal zero', sqlstate: '22023' };
  if (/^Invalid hex escape code encountered in string -> blob conversion/.test(line))
    return { message: 'invalid input syntax for type bytea', sqlstate: '22P02' };
  if (line === 'aggregate function calls cannot be nested') return { message: line, sqlstate: '42803' };
  if (/^QUANTILE can only take constant parameters/.test(line))
    return {
      message: 'the fraction of percentile_cont and percentile_disc must be a constant here',
      sqlstate: '0A000',
      code: ErrorCode.UNSUPPORTED,
    };
  if (/^DECIMAL type width must be between 1 and 38/.test(line))
    return {
      message: 'numeric precision above 38 is not supported',
      sqlstate: '0A000',
      code: ErrorCode.UNSUPPORTED,
    };
  // The residual's own parse (`Failed to extract statements: Parser Error: …`): PostgreSQL's SQLSTATE.
  if (
    /^window functions are not allowed in window definitions/.test(line) ||
    /^window "[^"]*" is already defined/.test(line)
  )
    return { message: line, sqlstate: '42P20' };
  if (/^Unimplemented order by type/.test(line))
    return {
      message: 'ORDER BY … USING is not supported: use ASC or DESC',
      sqlstate: '0A000',
      code: ErrorCode.UNSUPPORTED,
    };
  if (/^SELECT locking clause is not supported/.test(line))
    return {
      message: 'FOR UPDATE/FOR SHARE is not supported: Spoke only reads',
      sqlstate: '0A000',
      code: ErrorCode.UNSUPPORTED,
    };
  if (/^SELECT clause without selection list/.test(line))
    return {
      message: 'a SELECT without a select list is not supported',
      sqlstate: '0A000',
      code: ErrorCode.UNSUPPORTED,
    };
  return undefined;
}

/** PostgreSQL's words and SQLSTATE for the DuckDB error classes a user's SQL commonly meets. */
function toPostgres(message: string): Mapped | undefined {
  const body = message.replace(/^Failed to extract statements: /, '').replace(/^[A-Za-z ]+ Error: /, '');
  const firstLine = body.split('\n')[0]!.trim();
  if (firstLine === DIVISION_BY_ZERO || /^Division by zero/i.test(firstLine)) {
    return { message: 'division by zero', sqlstate: '22012' };
  }
  const raised = RAISED_ERRORS[firstLine];
  if (raised) return { message: firstLine, sqlstate: raised };
  // A function the allow-list accepts that this path's DuckDB lacks (a catalog-only function used over
  // sources): PostgreSQL's words, without DuckDB's "did you mean" list of its own function names.
  let m =
    /^(?:Scalar |Aggregate |Table |Pragma )?(?:Function|Macro Function) with name "?([^\s"!]+)"? does not exist/.exec(
      firstLine,
    );
  if (m) return { message: `function ${m[1]}(…) does not exist`, sqlstate: '42883' };
  // A PostgreSQL type DuckDB lacks (`xid`, `regclass`, `jsonb` in the residual).
  m = /^Type with name "?([^"!]+?)"? does not exist!?$/.exec(firstLine);
  if (m) return { message: `type "${m[1]!.toLowerCase()}" does not exist`, sqlstate: '42704' };
  const mathematical = mathematicalError(firstLine);
  if (mathematical) return mathematical;
  m = /^Could not convert string (?:'(.*)'|"(.*)") to (DECIMAL)\(\d+,\d+\)/s.exec(firstLine);
  if (m) return { message: `invalid input syntax for type numeric: "${m[1] ?? m[2]}"`, sqlstate: '22P02' };
  m = /^Could not convert string '(.*)' to ([A-Z0-9_ ]+)/s.exec(firstLine);
  if (m) {
    const type = pgTypeName(m[2]!);
    return {
      message: `invalid input syntax for type ${type}: "${m[1]}"`,
      sqlstate: INPUT_SQLSTATE[type] ?? '22P02',
    };
  }
  m = /^date field value out of range: "([^"]*)"/.exec(firstLine);
  if (m) return { message: `date/time field value out of range: "${m[1]}"`, sqlstate: '22008' };
  m = /^invalid date field format: "([^"]*)"/.exec(firstLine);
  if (m) return { message: `invalid input syntax for type date: "${m[1]}"`, sqlstate: '22007' };
  m = /^(?:invalid timestamp field format|timestamp field value out of range): "([^"]*)"/.exec(firstLine);
  if (m) return { message: `invalid input syntax for type timestamp: "${m[1]}"`, sqlstate: '22007' };
  m = /^Overflow in (?:addition|subtraction|multiplication|negation) of (\w+)/.exec(firstLine);
  if (m) return { message: `${pgTypeName(m[1]!)} out of range`, sqlstate: '22003' };
  m =
    /^Type (\w+) with value .* can't be cast because the value is out of range for the destination type (\w+)/.exec(
      firstLine,
    );
  if (m) return { message: `${pgTypeName(m[2]!)} out of range`, sqlstate: '22003' };
  m = /^No function matches the given name and argument types '(.*)'\. You might need/.exec(firstLine);
  if (m) {
    const text = undefinedCallable(m[1]!);
    if (text) return { message: text, sqlstate: '42883' };
  }
  m = /^Could not choose a best candidate function for the function call "(.*)"\. In order/.exec(firstLine);
  if (m) {
    const text = undefinedCallable(m[1]!);
    if (text) {
      const message = text.startsWith('operator does not exist: ')
        ? text.replace('operator does not exist: ', 'operator is not unique: ')
        : text.replace(/does not exist$/, 'is not unique');
      return { message, sqlstate: '42725' };
    }
  }
  m =
    /^Referenced column "?([^"\s]+)"? (?:not found in FROM clause|was not found because the FROM clause is missing)/.exec(
      firstLine,
    );
  if (m) return { message: `column "${m[1]}" does not exist`, sqlstate: '42703' };
  m = /^Table with name "?([^"\s!]+)"? does not exist/.exec(firstLine);
  if (m)
    return {
      message: `relation "${m[1]}" does not exist`,
      sqlstate: '42P01',
      code: ErrorCode.TABLE_NOT_FOUND,
    };
  m = /^column "([^"]+)" must appear in the GROUP BY clause/.exec(firstLine);
  if (m) {
    return {
      message: `column "${m[1]}" must appear in the GROUP BY clause or be used in an aggregate function`,
      sqlstate: '42803',
    };
  }
  if (/^More than one row returned by a subquery used as an expression/.test(firstLine)) {
    return { message: 'more than one row returned by a subquery used as an expression', sqlstate: '21000' };
  }
  m = /^Column "([^"]+)" does not exist on (left|right) side of join/.exec(firstLine);
  if (m) {
    return {
      message: `column "${m[1]}" specified in USING clause does not exist in ${m[2]} table`,
      sqlstate: '42703',
    };
  }
  m = /^Cannot compare values of type (\S+) and (?:type )?(\S+)/.exec(firstLine);
  if (m) {
    // PostgreSQL: no comparison operator takes these two types.
    return {
      message: `operator does not exist: ${pgTypeName(m[1]!)} compared with ${pgTypeName(m[2]!.replace(/ -.*$/, ''))}`,
      sqlstate: '42883',
    };
  }
  m = /^Cannot mix values of type (\S+) and (?:type )?(\S+)/.exec(firstLine);
  if (m) {
    return {
      message: `types ${pgTypeName(m[1]!)} and ${pgTypeName(m[2]!.replace(/ -.*$/, ''))} cannot be matched`,
      sqlstate: '42804',
    };
  }
  return undefined;
}

/** DuckDB's message without its class prefix, caret excerpt of the rewritten SQL, candidates and suggestions. */
function cleanMessage(message: string): string {
  return (
    message
      .replace(/^[A-Za-z ]+ Error: /, '')
      // `LINE 4:` and a caret point into the residual SQL, which the user never wrote.
      .replace(/\n+LINE \d+:.*$/s, '')
      .replace(/\n?\s*Candidate (?:bindings|functions):.*$/s, '')
      .replace(/\n?Did you mean .*$/s, '')
      // Residual relations are an implementation detail: do not show them to the user.
      .replace(/"?__spoke_\d+"?\./g, '')
      .trim()
  );
}

/**
 * Maps a DuckDB error to a Spoke error with a stable code, keeping DuckDB's
 * error as the cause. DuckDB prefixes messages with their class
 * ("Binder Error: …"), which is what decides the code; the common classes
 * (division by zero, invalid input, undefined function, operator, column or
 * relation, type mismatch, overflow) get PostgreSQL's wording and SQLSTATE.
 */
export function translateDuckDBError(error: unknown, signal?: AbortSignal): unknown {
  if (SpokeError.isInstance(error)) return error;
  if (signal?.aborted) return SpokeError.cancelled(signal);
  // The residual parses its SQL first: a parse error arrives as `Failed to extract statements: Parser Error: …`.
  const message = ((error as Error)?.message ?? String(error)).replace(/^Failed to extract statements: /, '');
  if (message.startsWith('Permission Error')) {
    // The sandbox refused host access (residual-sandbox.ts); DuckDB's text would name its settings.
    return new SpokeError(
      ErrorCode.POLICY_DENIED,
      'queries cannot read files, reach the network or load extensions on the gateway host',
      { cause: error, details: { sqlstate: '42501' } },
    );
  }
  const mapped = toPostgres(message);
  if (mapped) {
    return new SpokeError(mapped.code ?? ErrorCode.INVALID_QUERY, mapped.message, {
      cause: error,
      details: { sqlstate: mapped.sqlstate },
    });
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
  return new SpokeError(code, cleanMessage(message), { cause: error });
}
