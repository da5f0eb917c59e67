/**
 * `COPY (query) TO STDOUT` and `COPY table TO STDOUT` in PostgreSQL's text,
 * CSV and binary formats: what psql's `\copy … to`, psycopg's
 * `copy_expert`/`cursor.copy()` and pgjdbc's CopyManager send. The options
 * are read from libpg-query's parse tree (both the `WITH (FORMAT csv)` and
 * the older `WITH CSV HEADER` spellings); the query itself goes to the engine
 * as written.
 */
import type { RecordBatch, Schema } from '@spoke/core';
import { ErrorCode, SpokeError } from '@spoke/core';
import { parseSql } from '@spoke/planner';
import { ByteBuffer } from './byte-buffer.js';
import { binaryWriter, type ColumnData, textFormatter } from './column-encoders.js';
import type { PgColumnType } from './pg-types.js';
import { maskLiterals } from './split-statements.js';

/** A COPY … TO STDOUT, read. */
export interface CopyRequest {
  /** The query whose rows are copied. */
  readonly query: string;
  readonly format: 'text' | 'csv' | 'binary';
  readonly header: boolean;
  readonly delimiter: string;
  readonly null: string;
  readonly quote: string;
  readonly escape: string;
  /** FORCE_QUOTE: column names, or `*` for all. */
  readonly forceQuote: readonly string[] | '*';
}

// biome-ignore lint/suspicious/noExplicitAny: libpg-query's JSON parse tree is untyped.
type Node = any;

function unsupported(message: string): SpokeError {
  return new SpokeError(ErrorCode.UNSUPPORTED, message, { details: { sqlstate: '0A000' } });
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The text of a DefElem's argument. */
function optionText(arg: Node): string | undefined {
  if (arg === undefined) return undefined;
  if (arg.String) return arg.String.sval ?? '';
  if (arg.Boolean) return arg.Boolean.boolval ? 'true' : 'false';
  if (arg.Integer) return String(arg.Integer.ival ?? 0);
  return undefined;
}

/** Reads a COPY statement; refuses what Spoke cannot do (FROM, files, programs). */
export async function parseCopy(sql: string): Promise<CopyRequest> {
  const [statement] = await parseSql(sql);
  const copy: Node = statement?.node.CopyStmt;
  if (!copy) throw new SpokeError(ErrorCode.SYNTAX_ERROR, 'expected a COPY statement');
  if (copy.is_from) {
    throw unsupported('COPY FROM is not supported: Spoke reads its sources through queries');
  }
  if (copy.filename !== undefined || copy.is_program) {
    throw unsupported(
      "COPY to a server file or program is not supported: use COPY … TO STDOUT (psql's \\copy writes the file on the client)",
    );
  }
  let query: string;
  if (copy.query) {
    // The text between COPY's parentheses, found where quotes and comments cannot hide a parenthesis.
    const masked = maskLiterals(statement!.sql);
    const open = masked.indexOf('(');
    let depth = 0;
    let close = -1;
    for (let k = open; k < masked.length; k++) {
      if (masked[k] === '(') depth++;
      else if (masked[k] === ')' && --depth === 0) {
        close = k;
        break;
      }
    }
    query = statement!.sql.slice(open + 1, close);
  } else {
    const relation = copy.relation;
    const table = [relation.catalogname, relation.schemaname, relation.relname]
      .filter((part: string | undefined) => part !== undefined)
      .map(quoteIdent)
      .join('.');
    const columns = ((copy.attlist ?? []) as Node[]).map((c) => quoteIdent(c.String?.sval ?? ''));
    query = `SELECT ${columns.length > 0 ? columns.join(', ') : '*'} FROM ${table}`;
  }
  const options = new Map<string, Node>();
  for (const item of (copy.options ?? []) as Node[]) options.set(item.DefElem.defname, item.DefElem.arg);
  const format = (optionText(options.get('format')) ?? 'text').toLowerCase();
  if (format !== 'text' && format !== 'csv' && format !== 'binary') {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `COPY format "${format}" not recognized`, {
      details: { sqlstate: '22023' },
    });
  }
  const header = options.has('header')
    ? ['true', 'on', '1', 'match'].includes((optionText(options.get('header')) ?? 'true').toLowerCase())
    : false;
  const csv = format === 'csv';
  const delimiter = optionText(options.get('delimiter')) ?? (csv ? ',' : '\t');
  const quote = optionText(options.get('quote')) ?? '"';
  const forceArg = options.get('force_quote');
  const forceQuote: readonly string[] | '*' =
    forceArg === undefined
      ? []
      : forceArg.A_Star
        ? '*'
        : ((forceArg.List?.items ?? []) as Node[]).map((c) => c.String?.sval ?? '');
  if (delimiter.length !== 1) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'COPY delimiter must be a single one-byte character', {
      details: { sqlstate: '0A000' },
    });
  }
  return {
    query,
    format,
    header,
    delimiter,
    null: optionText(options.get('null')) ?? (csv ? '' : '\\N'),
    quote,
    escape: optionText(options.get('escape')) ?? quote,
    forceQuote,
  };
}

/** PGCOPY's file header: signature, flags, header extension length. */
const BINARY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Turns a result into COPY data: an optional first chunk, one chunk per row, an optional last chunk. */
export class CopyEncoder {
  constructor(
    private readonly request: CopyRequest,
    private readonly schema: Schema,
    private readonly columns: readonly PgColumnType[],
  ) {}

  /** The binary signature or the CSV header line, if any. */
  head(): Buffer | undefined {
    if (this.request.format === 'binary') {
      const out = Buffer.alloc(BINARY_SIGNATURE.length + 8);
      BINARY_SIGNATURE.copy(out);
      return out;
    }
    if (!this.request.header) return undefined;
    const names = this.schema.fields.map((f) => f.name);
    return Buffer.from(
      `${this.line(
        names,
        names.map(() => false),
      )}\n`,
      'utf8',
    );
  }

  /** The binary trailer (-1 as the field count). */
  tail(): Buffer | undefined {
    return this.request.format === 'binary' ? Buffer.from([0xff, 0xff]) : undefined;
  }

  /** A function giving row `i` of `batch` as one chunk. */
  rows(batch: RecordBatch): (i: number) => Buffer {
    const data = this.columns.map((_c, k) => batch.getChildAt(k)!.data[0] as unknown as ColumnData);
    if (this.request.format === 'binary') {
      const writers = data.map((d, k) => binaryWriter(d, this.columns[k]!));
      const out = new ByteBuffer();
      return (i) => {
        out.int16(writers.length);
        for (const write of writers) write(out, i);
        return out.take();
      };
    }
    const formatters = data.map((d, k) => textFormatter(d, this.columns[k]!));
    const force = this.schema.fields.map(
      (f) => this.request.forceQuote === '*' || this.request.forceQuote.includes(f.name),
    );
    return (i) =>
      Buffer.from(
        `${this.line(
          formatters.map((f) => f(i)),
          force,
        )}\n`,
        'utf8',
      );
  }

  private line(values: readonly (string | null)[], force: readonly boolean[]): string {
    const { delimiter, quote, escape: escapeChar } = this.request;
    if (this.request.format === 'csv') {
      return values
        .map((value, k) => {
          if (value === null) return this.request.null;
          const needs =
            force[k] ||
            value === this.request.null ||
            value.includes(delimiter) ||
            value.includes(quote) ||
            value.includes('\n') ||
            value.includes('\r');
          if (!needs) return value;
          let body = '';
          for (const ch of value) body += ch === quote || ch === escapeChar ? escapeChar + ch : ch;
          return quote + body + quote;
        })
        .join(delimiter);
    }
    return values
      .map((value) => {
        if (value === null) return this.request.null;
        let out = '';
        for (const ch of value) {
          if (ch === '\\') out += '\\\\';
          else if (ch === '\n') out += '\\n';
          else if (ch === '\r') out += '\\r';
          else if (ch === '\t') out += '\\t';
          else if (ch === delimiter) out += `\\${ch}`;
          else out += ch;
        }
        return out;
      })
      .join(delimiter);
  }
}
