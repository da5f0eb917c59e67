/**
 * Whole-statement push-down to the DuckDB source: the planner hands over a
 * PostgreSQL parse tree that reads only this source's tables, and it runs
 * here as the residual DuckDB would run it — same engine, same rendering
 * (`pgsql-deparser`), same PostgreSQL semantics (`integer_division`, UTC,
 * PostgreSQL's NULL order) — but next to the data: no scan is copied into
 * the residual, and joins, recursive CTEs and aggregates read the tables
 * in place. A graph query over one DuckDB file is one statement.
 *
 * What would answer differently from the residual is refused (the planner
 * then runs the statement federated, as before):
 * - tables whose rows a scan changes on the way (files read through
 *   `read_parquet`/`read_csv`, columns cast to text or another type, UUID,
 *   INTERVAL, TIME, unsigned integers);
 * - `/` and `%` (PostgreSQL raises 22012 on a zero divisor, DuckDB answers
 *   NULL: the residual guards them);
 * - integer constants DuckDB 1.5 folds wrongly (see `isMisfoldedIntegerConstant`);
 * - casts to bytea (PostgreSQL reads `'\x00ff'::bytea` as hex, DuckDB as characters).
 *
 * The source's instance is not sandboxed (it reads the configured files),
 * so what user SQL may call here is a short list: the capabilities' functions
 * and aggregates; table functions are never pushed (the planner refuses them).
 */
import { createRequire } from 'node:module';
import {
  ErrorCode,
  isMisfoldedIntegerConstant,
  type RenderedSql,
  type SelectTree,
  SpokeError,
  type SqlCapabilities,
  type SqlDialect,
} from '@spoke/core';

/** Scalar functions DuckDB runs with PostgreSQL's meaning (the residual sends them to DuckDB unchanged). */
const FUNCTIONS = [
  'lower',
  'upper',
  'length',
  'char_length',
  'character_length',
  'octet_length',
  'trim',
  'btrim',
  'ltrim',
  'rtrim',
  'substring',
  'substr',
  'concat',
  'concat_ws',
  'replace',
  'starts_with',
  'left',
  'right',
  'lpad',
  'rpad',
  'reverse',
  'repeat',
  'strpos',
  'split_part',
  'md5',
  'abs',
  'ceil',
  'ceiling',
  'floor',
  'round',
  'trunc',
  'sign',
  'sqrt',
  'power',
  'ln',
  'exp',
  'greatest',
  'least',
  'coalesce',
  'nullif',
  'date_trunc',
  'date_part',
  'extract',
  // What compiled graph queries use for trails and paths.
  'array_append',
  'array_prepend',
  'array_cat',
  'array_position',
  'array_length',
  'cardinality',
] as const;

/** What the DuckDB source runs: everything the residual would, within the lists above. */
export const DUCKDB_SOURCE_CAPABILITIES: SqlCapabilities = {
  joins: ['inner', 'left', 'right', 'full', 'cross'],
  aggregates: ['count', 'sum', 'avg', 'min', 'max', 'bool_and', 'bool_or', 'array_agg'],
  distinctAggregates: true,
  groupBy: true,
  orderByLimit: true,
  distinct: true,
  subqueries: true,
  windowFunctions: true,
  functions: FUNCTIONS,
  setOperations: true,
  recursiveCtes: true,
};

/** Whether the source's table `schema.table` can be read in place by pushed SQL (see the file comment). */
export type PushableTable = (schema: string, table: string) => boolean;

interface Deparser {
  deparseSync(node: unknown, options?: { pretty?: boolean }): string;
}

let deparser: Deparser | undefined;
function loadDeparser(): Deparser {
  // The same CommonJS module the planner renders its residual with (and patches for precedence, once loaded).
  deparser ??= createRequire(import.meta.url)('pgsql-deparser') as Deparser;
  return deparser;
}

type Json = Record<string, unknown>;

/** The DuckDB source as a whole-statement push-down target; literals stay inline, as in the residual. */
export class DuckDBSourceDialect implements SqlDialect {
  readonly name = 'duckdb';
  readonly capabilities = DUCKDB_SOURCE_CAPABILITIES;

  constructor(private readonly pushable: PushableTable) {}

  quoteIdentifier(name: string): string {
    return `"${name.replaceAll('"', '""')}"`;
  }

  renderSelect(given: SelectTree): RenderedSql {
    // A copy: LIKE is rewritten in place below, and callers may render one tree more than once.
    const tree = structuredClone(given) as SelectTree;
    const refuse = (what: string): never => {
      throw new SpokeError(ErrorCode.UNSUPPORTED, `the DuckDB source does not run ${what} for the gateway`);
    };
    const ctes = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const n of node) visit(n);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      const obj = node as Json;
      const rv = obj.RangeVar as Json | undefined;
      if (rv) {
        const schema = rv.schemaname as string | undefined;
        const table = String(rv.relname);
        if (rv.catalogname !== undefined) refuse('three-part names');
        // An unqualified name is a CTE of the statement (the planner qualifies every source table).
        if (schema === undefined ? !ctes.has(table) : !this.pushable(schema, table))
          refuse(`statements over ${schema === undefined ? table : `${schema}.${table}`}`);
      }
      const expr = obj.A_Expr as Json | undefined;
      if (expr?.kind === 'AEXPR_OP') {
        const names = expr.name as Json[] | undefined;
        const op = (names?.[names.length - 1]?.String as Json | undefined)?.sval;
        if (op === '/' || op === '%') refuse('division (PostgreSQL raises an error on a zero divisor)');
        if (typeof op === 'string' && op.includes('~~')) refuse(`the operator ${op}`);
      }
      // LIKE escapes with a backslash in PostgreSQL (and in scans, which write ESCAPE '\'); DuckDB's LIKE has no
      // escape character, and the deparser cannot write ESCAPE: like_escape(x, pattern, '\') says it.
      for (const [key, value] of Object.entries(obj)) {
        if (!Array.isArray(value)) obj[key] = withLikeEscape(value, refuse) ?? value;
        else for (let i = 0; i < value.length; i++) value[i] = withLikeEscape(value[i], refuse) ?? value[i];
      }
      const cast = obj.TypeCast as Json | undefined;
      if (cast) {
        const names = ((cast.typeName as Json | undefined)?.names ?? []) as Json[];
        const type = String((names[names.length - 1]?.String as Json | undefined)?.sval).toLowerCase();
        // PostgreSQL reads '\x00ff'::bytea as hex; DuckDB as the characters: the planner converts such literals.
        if (type === 'bytea' || type === 'blob') refuse('casts to bytea');
      }
      const constant = obj.A_Const as Json | undefined;
      if (constant) {
        const text = (constant.ival as Json | undefined)?.ival ?? (constant.fval as Json | undefined)?.fval;
        if (text !== undefined && isMisfoldedIntegerConstant(String(text)))
          refuse('the smallest integer constants');
      }
      for (const value of Object.values(obj)) visit(value);
    };
    // CTE names first, so a reference before its definition in the walk order is still known.
    collectCteNames(tree, ctes);
    visit(tree);
    let sql: string;
    try {
      sql = loadDeparser().deparseSync(tree, { pretty: false });
    } catch (error) {
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `the DuckDB source cannot render this query: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    return { sql, params: [] };
  }
}

const LIKE_CALLS: Readonly<Record<string, { readonly name: string; readonly negated: boolean }>> = {
  '~~': { name: 'like_escape', negated: false },
  '!~~': { name: 'like_escape', negated: true },
  '~~*': { name: 'ilike_escape', negated: false },
  '!~~*': { name: 'ilike_escape', negated: true },
};

/** `x [NOT] [I]LIKE p` as `[NOT] [i]like_escape(x, p, '\')`; `undefined` for any other node. */
function withLikeEscape(node: unknown, refuse: (what: string) => never): Json | undefined {
  const expr = (node as Json | null)?.A_Expr as Json | undefined;
  if (!expr || (expr.kind !== 'AEXPR_LIKE' && expr.kind !== 'AEXPR_ILIKE')) return undefined;
  const names = expr.name as Json[] | undefined;
  const op = String((names?.[names.length - 1]?.String as Json | undefined)?.sval);
  const call = LIKE_CALLS[op];
  const pattern = expr.rexpr as Json;
  const escaped = (pattern.FuncCall as Json | undefined)?.funcname as Json[] | undefined;
  if (!call || escaped?.some((n) => (n.String as Json | undefined)?.sval === 'like_escape'))
    return refuse('LIKE with this escape');
  const like: Json = {
    FuncCall: {
      funcname: [{ String: { sval: call.name } }],
      args: [expr.lexpr, pattern, { A_Const: { sval: { sval: '\\' } } }],
      funcformat: 'COERCE_EXPLICIT_CALL',
    },
  };
  return call.negated ? { BoolExpr: { boolop: 'NOT_EXPR', args: [like] } } : like;
}

function collectCteNames(node: unknown, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectCteNames(n, into);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const cte = (node as Json).CommonTableExpr as Json | undefined;
  if (cte && typeof cte.ctename === 'string') into.add(cte.ctename);
  for (const value of Object.values(node as Json)) collectCteNames(value, into);
}
