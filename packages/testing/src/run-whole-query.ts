import {
  ErrorCode,
  type QueryContext,
  type RecordBatch,
  type SelectTree,
  SpokeError,
  type SqlExecutor,
} from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import { type CanonicalRow, canonicalRowsFromBatches } from './canonical.js';
import type { DuckDBReference } from './reference.js';
import { missingCapabilities, type WholeQueryCase } from './whole-query-cases.js';

/** What a whole-query case runs against. */
export interface WholeQueryEnvironment {
  readonly sql: SqlExecutor | undefined;
  readonly fixtureSchema: string;
  readonly fixtureTable: string;
  readonly reference: DuckDBReference;
}

/** How a whole-query case ended when it did not fail. */
export type WholeQueryOutcome = { readonly ran: true } | { readonly ran: false; readonly reason: string };

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The statement's parse tree, as the planner hands it to `renderSelect`. */
async function selectTree(sql: string): Promise<SelectTree> {
  await loadModule();
  const parsed = parseSync(sql) as { stmts: { stmt: SelectTree }[] };
  return parsed.stmts[0]!.stmt;
}

/**
 * Numbers compared by value, whatever type the source answered with (a
 * count as BIGINT, NUMBER(18,0) or DECIMAL): `12`, `12.0` and `12n` are one.
 */
function looseKey(row: CanonicalRow): string {
  return JSON.stringify(
    row.map((v) => {
      if (typeof v === 'bigint' || typeof v === 'number') return `n:${Number(v)}`;
      if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return `n:${Number(v)}`;
      return v;
    }),
  );
}

/**
 * Runs one whole-query case: renders the statement with the connector's
 * dialect, runs it with `sql.execute` and compares the rows with DuckDB's.
 * A dialect that declines (`UNSUPPORTED`) is no failure: the planner runs
 * such statements federated instead.
 */
export async function runWholeQueryCase(
  c: WholeQueryCase,
  env: WholeQueryEnvironment,
): Promise<WholeQueryOutcome> {
  const fail = (message: string): never => {
    throw new Error(`[${c.id}] ${c.description}: ${message}`);
  };
  if (!env.sql)
    fail(
      'the connector declares wholeQueries but has no `sql` executor. Declare a `dialect` on the connector, or drop `wholeQueries` from the kit capabilities',
    );
  const sql = env.sql!;
  const missing = missingCapabilities(c.needs, sql.dialect.capabilities);
  if (missing.length) return { ran: false, reason: `the dialect does not declare ${missing.join(', ')}` };
  const table = `${quote(env.fixtureSchema)}.${quote(env.fixtureTable)}`;
  const hint = `If the source cannot run this as Spoke's engine does, drop ${
    Object.keys(c.needs).length
      ? Object.entries(c.needs)
          .map(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: '${x}'`).join(', ') : k))
          .join(', ')
      : '`wholeQueries`'
  } from the dialect's capabilities (or throw UNSUPPORTED from renderSelect for it)`;
  let rendered: ReturnType<SqlExecutor['dialect']['renderSelect']>;
  try {
    rendered = sql.dialect.renderSelect(await selectTree(c.sql.replaceAll('{t}', table)));
  } catch (error) {
    if (SpokeError.isInstance(error) && error.code === ErrorCode.UNSUPPORTED)
      return { ran: false, reason: `the dialect declined it: ${error.message}` };
    return fail(`renderSelect threw ${error instanceof Error ? error.message : String(error)}. ${hint}`);
  }
  const context: QueryContext = { queryId: `conformance:${c.id}`, roles: [] };
  const batches: RecordBatch[] = [];
  try {
    for await (const batch of sql.execute(rendered, { signal: new AbortController().signal, context }))
      batches.push(batch);
  } catch (error) {
    fail(
      `the source refused ${JSON.stringify(rendered.sql)}: ${error instanceof Error ? error.message : String(error)}. ${hint}`,
    );
  }
  const actual = canonicalRowsFromBatches(batches);
  const expected = await env.reference.query((c.expectedSql ?? c.sql).replaceAll('{t}', 'spoke_conformance'));
  const a = actual.map(looseKey);
  const e = expected.map(looseKey);
  if (!c.ordered) {
    a.sort();
    e.sort();
  }
  const at = a.findIndex((k, i) => k !== e[i]);
  if (a.length !== e.length || at >= 0) {
    const where = at >= 0 ? ` first difference at row ${at + 1}: ${a[at]} vs ${e[at]}` : '';
    fail(
      `got ${actual.length} rows, expected ${expected.length};${where} (sent ${JSON.stringify(rendered.sql)}). ${hint}`,
    );
  }
  return { ran: true };
}
