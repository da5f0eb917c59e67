import {
  ErrorCode,
  SCALAR_FUNCTIONS,
  type ScalarFunctionName,
  type ScalarType,
  type ScalarValue,
  SpokeError,
} from '@spoke/core';
import { type ExpressionDialect, quoteWith } from './expression-dialect.js';

const NON_STANDARD = new Set([
  'l2_distance',
  'cosine_distance',
  'negative_inner_product',
  'text_match',
  'reciprocal_rank_fusion',
]);
const STANDARD_FUNCTIONS = new Set<string>(SCALAR_FUNCTIONS.filter((f) => !NON_STANDARD.has(f)));

/**
 * Standard SQL defaults for an {@link ExpressionDialect}: double-quoted
 * identifiers, single-quoted strings with quotes doubled, the common type
 * and function names. Dialects override what differs, or rewrite and
 * decline single nodes with {@link ExpressionDialect.renderExpression}.
 *
 * What it renders, node by node (literals inline; the sdk README's table
 * lists every case and a test keeps it true):
 *
 * - column `a` → `"a"`; literal 42 int32 → `CAST(42 AS INTEGER)`; a date
 *   → `CAST('2024-01-02' AS DATE)`; a timestamptz →
 *   `CAST('2024-01-02 03:04:05+00' AS TIMESTAMP WITH TIME ZONE)`; a string
 *   → `CAST('it''s' AS VARCHAR)`; bytes → `X'dead'`; NULL →
 *   `CAST(NULL AS INTEGER)`;
 * - `a = 1` → `("a" = CAST(1 AS INTEGER))`; AND/OR/NOT, IN, BETWEEN, IS
 *   NULL and arithmetic likewise parenthesised; `IN ()` → `(1 = 0)`;
 * - LIKE → `("a" LIKE … ESCAPE '\')`; ILIKE without `hasIlike` →
 *   `(lower("a") LIKE lower(…) ESCAPE '\')`;
 * - cast → `CAST("a" AS DATE)` with {@link AnsiDialect.typeName}'s names
 *   (`NUMERIC(p,s)`, `VARCHAR`, `DOUBLE PRECISION`…);
 * - function → `name(args)` under its IR name (`starts_with("a", "b")`);
 *   the vector and full-text functions are declined.
 */
export abstract class AnsiDialect implements ExpressionDialect {
  abstract readonly name: string;
  readonly hasIlike: boolean = false;
  readonly hasNullsOrdering: boolean = true;
  /** Standard SQL has no default LIKE escape character, so name the backslash explicitly. */
  readonly likeEscape: string | undefined = "ESCAPE '\\'";

  quoteIdentifier(name: string): string {
    return quoteWith(name, '"');
  }

  abstract placeholder(index: number, type: ScalarType): string | undefined;

  /** `'text'` with quotes doubled; backslashes are data, as with `standard_conforming_strings`. */
  quoteString(text: string): string {
    return quoteWith(text, "'");
  }

  renderLiteral(value: ScalarValue, type: ScalarType): string {
    if (value === null) {
      const name = this.typeName(type);
      return name && type.id !== 'null' ? `CAST(NULL AS ${name})` : 'NULL';
    }
    switch (type.id) {
      case 'bool':
        return value ? 'TRUE' : 'FALSE';
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'uint8':
      case 'uint16':
      case 'uint32':
      case 'uint64':
        // Typed, as a bound parameter would be: a bare `3` is whatever type
        // the source infers, and `smallint * 3` may then overflow as smallint.
        return `CAST(${BigInt(value as number | bigint).toString()} AS ${this.typeName(type)})`;
      case 'float32':
      case 'float64': {
        const n = Number(value);
        if (Number.isNaN(n)) return `CAST('NaN' AS ${this.typeName(type)})`;
        if (!Number.isFinite(n))
          return `CAST('${n > 0 ? 'Infinity' : '-Infinity'}' AS ${this.typeName(type)})`;
        return `CAST(${n.toString()} AS ${this.typeName(type)})`;
      }
      case 'decimal':
        if (!/^-?\d+(\.\d+)?$/.test(String(value))) {
          throw new SpokeError(ErrorCode.INVALID_QUERY, `not a decimal literal: ${JSON.stringify(value)}`);
        }
        return `CAST(${String(value)} AS ${this.typeName(type)})`;
      case 'binary':
        return this.binaryLiteral(value as Uint8Array);
      case 'list':
        throw new SpokeError(ErrorCode.UNSUPPORTED, `the ${this.name} dialect cannot inline a list literal`);
      case 'timestamp':
        // An instant's text is in UTC (see ScalarValue); without an explicit
        // offset the source would read it in its session time zone.
        if (
          type.timezone &&
          !/\d:\d{2}(:\d{2}(\.\d*)?)?\s*([+-]\d{2}(:?\d{2})?|Z|UTC)$/i.test(String(value))
        ) {
          return `CAST(${this.quoteString(`${String(value)}+00`)} AS ${this.typeName(type)})`;
        }
        return `CAST(${this.quoteString(String(value))} AS ${this.typeName(type)})`;
      default:
        return `CAST(${this.quoteString(String(value))} AS ${this.typeName(type)})`;
    }
  }

  /** A binary literal; standard SQL's `X'…'`. */
  binaryLiteral(bytes: Uint8Array): string {
    return `X'${Buffer.from(bytes).toString('hex')}'`;
  }

  typeName(type: ScalarType): string | undefined {
    switch (type.id) {
      case 'null':
        return undefined;
      case 'bool':
        return 'BOOLEAN';
      case 'int8':
      case 'int16':
        return 'SMALLINT';
      case 'int32':
        return 'INTEGER';
      case 'int64':
        return 'BIGINT';
      case 'uint8':
        return 'SMALLINT';
      case 'uint16':
        return 'INTEGER';
      case 'uint32':
        return 'BIGINT';
      case 'uint64':
        return 'NUMERIC(20,0)';
      case 'float32':
        return 'REAL';
      case 'float64':
        return 'DOUBLE PRECISION';
      case 'decimal':
        return `NUMERIC(${type.precision},${type.scale})`;
      case 'utf8':
        return 'VARCHAR';
      case 'binary':
        return undefined;
      case 'date':
        return 'DATE';
      case 'time':
        return 'TIME';
      case 'timestamp':
        return type.timezone ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP';
      case 'interval':
        return 'INTERVAL';
      case 'list': {
        const item = this.typeName(type.item);
        return item ? `${item}[]` : undefined;
      }
    }
  }

  /** The standard functions render under their own name; vector and full-text functions need a dialect that has them. */
  functionName(name: ScalarFunctionName): string | undefined {
    return STANDARD_FUNCTIONS.has(name) ? name : undefined;
  }
}
