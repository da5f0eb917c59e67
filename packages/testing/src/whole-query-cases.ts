import type { SqlCapabilities } from '@spoke/core';

/**
 * A whole-query case: one SELECT over the fixture table sent as a whole
 * statement (`connector.sql`), run only when the connector declares
 * `wholeQueries` and its dialect's {@link SqlCapabilities} cover `needs`.
 * `{t}` stands for the fixture table: the source's `"schema"."table"` in
 * the statement sent, `spoke_conformance` in the DuckDB reference.
 */
export interface WholeQueryCase {
  /** Stable id, `whole.group-by`; the test's name. */
  readonly id: string;
  readonly description: string;
  /** PostgreSQL-dialect SELECT, as a user would write it (parsed with libpg-query). */
  readonly sql: string;
  /** DuckDB SQL for the expected rows; `sql` itself when absent. */
  readonly expectedSql?: string;
  /** Whether the rows are compared in order (the statement has ORDER BY … LIMIT). */
  readonly ordered?: boolean;
  /** What the dialect must declare for the planner to send this statement. */
  readonly needs: WholeQueryNeeds;
  /** Fixture columns used (the case is left out when the source lacks one's type). */
  readonly columns: readonly string[];
}

/** The parts of {@link SqlCapabilities} a whole-query case uses. */
export interface WholeQueryNeeds {
  readonly joins?: readonly SqlCapabilities['joins'][number][];
  readonly aggregates?: readonly string[];
  readonly groupBy?: boolean;
  readonly orderByLimit?: boolean;
  readonly distinct?: boolean;
  readonly subqueries?: boolean;
  readonly functions?: readonly string[];
  readonly ilike?: boolean;
}

/** The capabilities `needs` lists that `capabilities` lacks, named as `SqlCapabilities` fields. */
export function missingCapabilities(needs: WholeQueryNeeds, capabilities: SqlCapabilities): string[] {
  const missing: string[] = [];
  for (const j of needs.joins ?? []) if (!capabilities.joins.includes(j)) missing.push(`joins: '${j}'`);
  for (const a of needs.aggregates ?? [])
    if (!capabilities.aggregates.includes(a)) missing.push(`aggregates: '${a}'`);
  for (const f of needs.functions ?? [])
    if (!capabilities.functions.includes(f)) missing.push(`functions: '${f}'`);
  for (const flag of ['groupBy', 'orderByLimit', 'distinct', 'subqueries'] as const)
    if (needs[flag] && !capabilities[flag]) missing.push(flag);
  if (needs.ilike && capabilities.ilike === false) missing.push('ilike');
  return missing;
}

/** Every whole-query case. */
export const WHOLE_QUERY_CASES: readonly WholeQueryCase[] = [
  {
    id: 'whole.filter-project',
    description: 'a filtered projection sent as one statement',
    sql: 'SELECT id, c_int32 FROM {t} WHERE c_int32 > 100 AND c_text IS NOT NULL',
    needs: {},
    columns: ['id', 'c_int32', 'c_text'],
  },
  {
    id: 'whole.literals',
    description: 'typed literals in a whole statement (a date, a decimal, a string with a quote)',
    sql: "SELECT id FROM {t} WHERE c_date >= DATE '2000-01-01' OR c_decimal18 = 2.5 OR c_text = 'it''s'",
    needs: {},
    columns: ['id', 'c_date', 'c_decimal18', 'c_text'],
  },
  {
    id: 'whole.count',
    description: 'count(*) over the table',
    sql: 'SELECT count(*) FROM {t}',
    needs: { aggregates: ['count'] },
    columns: ['id'],
  },
  {
    id: 'whole.group-by',
    description: 'GROUP BY with count and sum',
    sql: 'SELECT c_bool, count(*), sum(c_int32) FROM {t} GROUP BY c_bool',
    needs: { aggregates: ['count', 'sum'], groupBy: true },
    columns: ['c_bool', 'c_int32'],
  },
  {
    id: 'whole.order-limit',
    description: 'ORDER BY … LIMIT (top-N) in the statement',
    sql: 'SELECT id, c_int32 FROM {t} WHERE c_int32 IS NOT NULL ORDER BY c_int32 DESC, id LIMIT 7',
    ordered: true,
    needs: { orderByLimit: true },
    columns: ['id', 'c_int32'],
  },
  {
    id: 'whole.distinct',
    description: 'SELECT DISTINCT',
    sql: 'SELECT DISTINCT c_bool FROM {t}',
    needs: { distinct: true },
    columns: ['c_bool'],
  },
  {
    id: 'whole.self-join',
    description: 'an inner join of the table with itself',
    sql: 'SELECT a.id, b.id FROM {t} AS a JOIN {t} AS b ON a.id = b.c_int16 WHERE a.id < 50',
    needs: { joins: ['inner'] },
    columns: ['id', 'c_int16'],
  },
  {
    id: 'whole.subquery',
    description: 'a scalar sub-query in WHERE',
    sql: 'SELECT id FROM {t} WHERE c_int32 > (SELECT avg(c_int32) FROM {t})',
    needs: { subqueries: true, aggregates: ['avg'] },
    columns: ['id', 'c_int32'],
  },
  {
    id: 'whole.upper-non-ascii',
    description: "upper() of non-ASCII text in a whole statement ('naïve café' → 'NAÏVE CAFÉ')",
    sql: "SELECT id FROM {t} WHERE upper(c_text) = 'NAÏVE CAFÉ'",
    needs: { functions: ['upper'] },
    columns: ['id', 'c_text'],
  },
  {
    id: 'whole.ilike-non-ascii',
    description: "ILIKE folding a non-ASCII letter in a whole statement ('ÄRGER' ILIKE 'ärger')",
    sql: "SELECT id FROM {t} WHERE c_text ILIKE 'ärger'",
    needs: { ilike: true },
    columns: ['id', 'c_text'],
  },
];
