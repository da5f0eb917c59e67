import { ErrorCode, SpokeError } from '@spoke/core';
import { DIVISION_BY_ZERO } from './division-by-zero.js';

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

/** PostgreSQL's words and SQLSTATE for the DuckDB error classes a user's SQL commonly meets. */
function toPostgres(message: string): Mapped | undefined {
  const body = message.replace(/^[A-Za-z ]+ Error: /, '');
  const firstLine = body.split('\n')[0]!.trim();
  if (firstLine === DIVISION_BY_ZERO || /^Division by zero/i.test(firstLine)) {
    return { message: 'division by zero', sqlstate: '22012' };
  }
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
  const message = (error as Error)?.message ?? String(error);
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
