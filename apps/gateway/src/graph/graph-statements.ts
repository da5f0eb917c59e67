/**
 * Statements about graphs that the planner's parser does not know, answered
 * before it sees them, on every wire (HTTP `/v1/query`, Postgres wire,
 * Flight SQL, CLI):
 *
 * - `CREATE [OR REPLACE] PROPERTY GRAPH [IF NOT EXISTS] g VERTEX TABLES (…) EDGE TABLES (…)`
 *   as SQL/PGQ spells it (read by `@spoke/graph`), checked against the
 *   catalog exactly as a `graphs:` config entry is, then usable in `cypher()`
 *   and GRAPH_TABLE;
 * - `DROP PROPERTY GRAPH [IF EXISTS] g`;
 * - `EXPLAIN` of a statement calling `cypher()` or using GRAPH_TABLE: the
 *   planner's plan, preceded by each graph query's Cypher and the SQL it
 *   compiles to (the plan alone shows only what that SQL became); through
 *   `explain()` (`POST /v1/explain`) the same as `graphQueries` on the plan.
 *
 * Graphs created this way are gateway-wide, like the config's: every
 * session and every wire sees them as soon as the statement completes, so
 * only an administrator may create or drop one (the `admin` role, or anyone
 * when authentication is off, as for the operator endpoints). They live in
 * memory until the gateway stops; put a graph in the config to keep it.
 * Graphs from the config cannot be replaced or dropped by a statement.
 * Per-session graphs were not chosen: `POST /v1/cypher` and the Flight and
 * HTTP wires have no session to hold them.
 */
import {
  arrow,
  batchesOf,
  ErrorCode,
  noBatches,
  type QueryContext,
  type ScalarValue,
  SpokeError,
} from '@spoke/core';
import {
  checkGraphAgainstCatalog,
  type GraphDefinition,
  parsePropertyGraphStatement,
  rewriteGraphTable,
} from '@spoke/graph/definitions';
import { type FederatedEngine, parseSql, type QueryEngine, type QueryResult } from '@spoke/planner';
import { delegate } from '../service/delegate-proxy.js';
import { catalogColumns, compileCypherCall } from './graph-engine.js';

/** What {@link withGraphStatements} needs besides the engine. */
export interface GraphStatementOptions {
  /** The graphs `cypher()` reads: created and dropped here in place. */
  readonly graphs: Map<string, GraphDefinition>;
  /** Names of the graphs the config defines (never replaced or dropped by a statement). */
  readonly configured: ReadonlySet<string>;
  /** Whether authentication is off (then every caller may define graphs). */
  readonly authenticationOff: boolean;
}

/** The role that may create and drop property graphs. */
const ADMIN = 'admin';

function commandResult(command: string): QueryResult {
  return { command, schema: new arrow.Schema([]), batches: noBatches() };
}

function textRows(lines: readonly string[]): QueryResult {
  const table = new arrow.Table({ 'QUERY PLAN': arrow.vectorFromArray([...lines], new arrow.Utf8()) });
  return {
    command: 'EXPLAIN',
    schema: table.schema,
    batches: batchesOf(table.batches),
  };
}

function mayDefine(options: GraphStatementOptions, context: Partial<QueryContext> | undefined): void {
  if (options.authenticationOff || context?.roles?.includes(ADMIN)) return;
  throw new SpokeError(
    ErrorCode.POLICY_DENIED,
    'only an administrator (role admin) may create or drop property graphs: they are shared by every session',
    { details: { sqlstate: '42501' } },
  );
}

/** Runs a CREATE/DROP PROPERTY GRAPH; undefined when `sql` is neither. */
async function graphStatement(
  sql: string,
  planner: FederatedEngine,
  options: GraphStatementOptions,
  context: Partial<QueryContext> | undefined,
): Promise<QueryResult | undefined> {
  const statement = parsePropertyGraphStatement(sql);
  if (!statement) return undefined;
  mayDefine(options, context);
  const { graphs, configured } = options;
  const name = statement.name;
  if (configured.has(name))
    throw new SpokeError(
      ErrorCode.POLICY_DENIED,
      `property graph "${name}" is defined in the config file: change it there (a statement cannot ${statement.kind} it)`,
      { details: { sqlstate: '42501' } },
    );
  if (statement.kind === 'drop') {
    if (!graphs.delete(name) && !statement.ifExists)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `property graph "${name}" does not exist`, {
        details: { sqlstate: '42704' },
      });
    return commandResult('DROP PROPERTY GRAPH');
  }
  if (graphs.has(name) && !statement.orReplace) {
    if (statement.ifNotExists) return commandResult('CREATE PROPERTY GRAPH');
    throw new SpokeError(ErrorCode.INVALID_QUERY, `property graph "${name}" already exists`, {
      details: { sqlstate: '42710' },
    });
  }
  const columns = await catalogColumns(planner, statement.definition);
  let checked: GraphDefinition;
  try {
    checked = checkGraphAgainstCatalog(
      name,
      statement.definition,
      (t) => columns.get(t),
      `property graph ${name}`,
    );
  } catch (error) {
    // The config check's errors, as a statement's: same message and SQLSTATE, a query error code.
    if (!SpokeError.isInstance(error) || error.code !== ErrorCode.INVALID_CONFIG) throw error;
    const sqlstate = (error.details as { sqlstate?: string } | undefined)?.sqlstate ?? '42P17';
    const code =
      sqlstate === '42P01'
        ? ErrorCode.TABLE_NOT_FOUND
        : sqlstate === '42703'
          ? ErrorCode.COLUMN_NOT_FOUND
          : ErrorCode.INVALID_QUERY;
    throw new SpokeError(code, error.message, { details: { sqlstate } });
  }
  graphs.set(name, checked);
  return commandResult('CREATE PROPERTY GRAPH');
}

type Node = Record<string, unknown>;

/** The constant (or `$n`) arguments of every `cypher(…)` in a FROM clause of `tree`. */
function cypherCalls(tree: unknown, params: readonly ScalarValue[]): ScalarValue[][] {
  const calls: ScalarValue[][] = [];
  const constant = (node: Node): ScalarValue => {
    if (node.TypeCast) return constant((node.TypeCast as Node).arg as Node);
    const c = node.A_Const as Node | undefined;
    if (c) {
      if (c.isnull) return null;
      const s = c.sval as { sval?: string } | undefined;
      if (s) return s.sval ?? '';
      return (c.ival as { ival?: number } | undefined)?.ival ?? null;
    }
    const p = node.ParamRef as { number?: number } | undefined;
    return p?.number !== undefined ? (params[p.number - 1] ?? null) : null;
  };
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    const range = (value as Node).RangeFunction as Node | undefined;
    const call = (range?.functions as { List?: { items?: Node[] } }[] | undefined)?.[0]?.List?.items?.[0]
      ?.FuncCall as Node | undefined;
    const name = (call?.funcname as { String?: { sval?: string } }[] | undefined)?.map((n) => n.String?.sval);
    if (call && name?.length === 1 && name[0]?.toLowerCase() === 'cypher')
      calls.push(((call.args as Node[] | undefined) ?? []).map(constant));
    for (const child of Object.values(value)) visit(child);
  };
  visit(tree);
  return calls;
}

const EXPLAIN = /^\s*explain\b/i;
const MENTIONS_GRAPH = /\b(cypher|graph_table)\s*\(/i;

/** One graph query of a statement, as EXPLAIN shows it. */
export interface ExplainedGraphQuery {
  readonly graph: string;
  readonly cypher: string;
  /** The SQL it compiles to (what the planner then plans). */
  readonly sql: string;
}

/**
 * Each `cypher()` call (GRAPH_TABLE included) of `sql`: its graph, Cypher and
 * compiled SQL. Empty when the statement has none (or when one does not
 * compile: the plan's own error is then the one reported).
 */
export async function graphQueriesOf(
  sql: string,
  graphs: ReadonlyMap<string, GraphDefinition>,
  params: readonly ScalarValue[],
): Promise<ExplainedGraphQuery[]> {
  if (!MENTIONS_GRAPH.test(sql)) return [];
  try {
    const statements = await parseSql(rewriteGraphTable(sql) ?? sql);
    const queries: ExplainedGraphQuery[] = [];
    for (const args of cypherCalls(statements[0]?.node, params))
      queries.push({
        graph: String(args[0]),
        cypher: String(args[1]).trim(),
        sql: (await compileCypherCall(graphs, args)).sql,
      });
    return queries;
  } catch {
    return [];
  }
}

/** The lines put before the plan of an EXPLAIN over graph queries. */
function graphExplainLines(queries: readonly ExplainedGraphQuery[]): string[] {
  const lines: string[] = [];
  for (const q of queries) {
    lines.push(`Graph query (graph ${q.graph}):`);
    for (const line of q.cypher.split('\n')) lines.push(`  Cypher: ${line.trim()}`);
    lines.push('  Compiled SQL:');
    for (const line of q.sql.split('\n')) lines.push(`    ${line}`);
  }
  return lines;
}

/**
 * `engine` with the graph statements above answered in front of it (every
 * other statement passes through unchanged). The result is a proxy: members
 * other than `query` are the engine's own.
 */
export function withGraphStatements<E extends QueryEngine>(
  engine: E,
  planner: FederatedEngine,
  options: GraphStatementOptions,
): E {
  return delegate(engine, {
    async query(sql: string, queryOptions?: Parameters<QueryEngine['query']>[1]): Promise<QueryResult> {
      const answered = await graphStatement(sql, planner, options, queryOptions?.context);
      if (answered) return answered;
      if (!EXPLAIN.test(sql) || !MENTIONS_GRAPH.test(sql)) return engine.query(sql, queryOptions);
      const result = await engine.query(sql, queryOptions);
      const head = graphExplainLines(await graphQueriesOf(sql, options.graphs, queryOptions?.params ?? []));
      if (head.length === 0) return result;
      const plan: string[] = [];
      for await (const batch of result.batches) {
        const column = batch.getChildAt(0);
        for (let i = 0; i < batch.numRows; i++) plan.push(String(column?.get(i) ?? ''));
      }
      return textRows([...head, ...plan]);
    },
    // POST /v1/explain: the plan, with `graphQueries` (each one's graph, Cypher and compiled SQL) when there are any.
    async explain(sql: string, explainOptions?: Parameters<QueryEngine['explain']>[1]) {
      const plan = await engine.explain(sql, explainOptions);
      const graphQueries = await graphQueriesOf(sql, options.graphs, explainOptions?.params ?? []);
      return graphQueries.length > 0 ? { ...plan, graphQueries } : plan;
    },
  });
}
