import {
  type ExprKind,
  type PushdownCapabilities,
  SCALAR_FUNCTIONS,
  type ScalarFunctionName,
  type ScalarType,
  walkExpr,
} from '@spoke/core';
import { CONFORMANCE_CASES, type ConformanceCase, columnsOfCase } from './cases.js';
import { expressionSignatures, signatureMatches } from './expression-signatures.js';
import { FIXTURE_COLUMNS, type FixtureTypeName, fixtureColumns } from './fixture.js';

/**
 * What a connector declares it can do. Cases are chosen from these, never
 * from lists of test names: a case runs when everything it uses is declared.
 */
export interface ConformanceCapabilities extends PushdownCapabilities {
  /**
   * What `supportsFilters` answers for the filters the connector handles:
   * `exact` (results must equal the reference), `inexact` (a superset, the
   * planner filters again) or `none` (filter cases are not run).
   */
  readonly filters: 'exact' | 'inexact' | 'none';
  /** Whether the connector applies `limit` (needs exact filters for limit-after-filter cases). */
  readonly limit: boolean;
  /** Whether the connector applies `orderBy` + `limit` (top-N). */
  readonly topN: boolean;
  /** The fixture types the source stores; others are left out of the fixture and the cases. Default: all. */
  readonly types?: readonly FixtureTypeName[];
  /** The scalar functions filters may use. Default: all of `SCALAR_FUNCTIONS`. */
  readonly functions?: readonly ScalarFunctionName[];
  /** The expression kinds filters may use. Default: all. */
  readonly operators?: readonly ExprKind[];
  /**
   * Casts, functions and operators, by signature, that the source does not
   * answer as Spoke's engine does — finer than `functions`/`operators`:
   * `cast(timestamp as date)`, `cast(* as utf8)` (any source type),
   * `upper(utf8)`, `round(float64, int32)`, `round(*)` (any arguments),
   * `ilike(*)` (LIKE stays), `%(*)`, `/(int32, int32)`. A case using one is not run; the connector's
   * `supportsFilters` should answer `unsupported` for such filters (an
   * `ExpressionDialect` declines them with `DECLINE`). A failing case's
   * message names the signatures it used.
   */
  readonly exclude?: readonly string[];
  /**
   * Whether the connector offers whole sub-query push-down (`connector.sql`,
   * a `dialect` on a `SqlSourceConnector`). When true the kit sends whole
   * SELECT statements through `sql.dialect.renderSelect` and `sql.execute`,
   * each case only when the dialect's `capabilities` declare what it uses,
   * and compares the rows with DuckDB's. Default false (the cases are not run).
   */
  readonly wholeQueries?: boolean;
  /**
   * What `statistics()` reports: `exact` requires an exact row count,
   * `estimated` requires a row count, `none` (default) checks nothing.
   * Whatever is reported as exact is checked in every mode.
   */
  readonly statistics?: 'exact' | 'estimated' | 'none';
  /**
   * The Arrow type (as a ScalarType) the connector surfaces for a fixture
   * type when it is not Spoke's own (`{ int16: Types.decimal(38, 0) }` for a
   * source without small integers). Values are still compared exactly.
   */
  readonly schemaTypes?: Partial<Record<FixtureTypeName, ScalarType>>;
}

const ALL_OPERATORS: readonly ExprKind[] = [
  'column',
  'literal',
  'compare',
  'and',
  'or',
  'not',
  'in',
  'between',
  'like',
  'isNull',
  'arithmetic',
  'cast',
  'function',
];

/**
 * The cases a connector with `capabilities` must pass, adapted to its
 * types (a scan of "every column" lists only the columns it has).
 */
export function selectCases(
  capabilities: ConformanceCapabilities,
  cases: readonly ConformanceCase[] = CONFORMANCE_CASES,
): ConformanceCase[] {
  const available = new Set(fixtureColumns(capabilities.types).map((c) => c.name));
  const allNames = FIXTURE_COLUMNS.map((c) => c.name);
  const functions = new Set<string>(capabilities.functions ?? SCALAR_FUNCTIONS);
  const operators = new Set<string>(capabilities.operators ?? ALL_OPERATORS);
  const out: ConformanceCase[] = [];
  for (let c of cases) {
    if (
      'request' in c &&
      c.request.projection.length === allNames.length &&
      c.request.projection.every((n, i) => n === allNames[i])
    ) {
      // "Every column" means every column this source has.
      const { expectedSql: _ignored, ...rest } = c as typeof c & { expectedSql?: string };
      c = {
        ...rest,
        request: { ...c.request, projection: allNames.filter((n) => available.has(n)) },
      } as ConformanceCase;
    }
    if (!columnsOfCase(c).every((name) => available.has(name))) continue;
    if ('request' in c) {
      const filters = c.request.filters;
      if (filters.length && capabilities.filters === 'none') continue;
      let usable = true;
      for (const f of filters)
        walkExpr(f, (node) => {
          if (!operators.has(node.kind)) usable = false;
          if (node.kind === 'function' && !functions.has(node.name)) usable = false;
        });
      if (!usable) continue;
      const excluded = capabilities.exclude ?? [];
      if (
        excluded.length &&
        [...filters, ...(c.request.orderBy ?? []).map((k) => k.expr)].some((f) =>
          expressionSignatures(f).some((sig) => excluded.some((p) => signatureMatches(sig, p))),
        )
      )
        continue;
      if (c.kind === 'limit' && (!capabilities.limit || (filters.length && capabilities.filters !== 'exact')))
        continue;
      if (c.kind === 'topN' && (!capabilities.topN || (filters.length && capabilities.filters !== 'exact')))
        continue;
    }
    out.push(c);
  }
  return out;
}
