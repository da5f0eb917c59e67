import type { ExprKind, ScalarFunctionName } from './expression.js';

/**
 * What a connector declares about itself so its README's options table,
 * type mapping and push-down matrix can be generated (`spoke
 * connector-docs`) rather than written by hand and left to drift. Optional
 * on {@link ConnectorFactory}; the gateway does not read it to run queries.
 */
export interface ConnectorDocs {
  /** The options a source takes besides `connector:` — the spec its `create` checks (`parseOptions` in `@spoke/sdk`). */
  readonly options?: Readonly<Record<string, ConnectorOptionDoc>>;
  /** How the source's types arrive, one row per source type. */
  readonly types?: readonly ConnectorTypeDoc[];
  /**
   * What the connector pushes down. The same object its conformance test
   * hands `@spoke/testing` (`ConformanceCapabilities` extends this), so the
   * README says what the kit checked.
   */
  readonly capabilities?: PushdownCapabilities;
}

/** One option of a source. */
export interface ConnectorOptionDoc {
  readonly type: string;
  readonly description: string;
  readonly required?: boolean;
  readonly default?: unknown;
  /** For strings: the allowed values. */
  readonly oneOf?: readonly string[];
}

/** One row of a connector's type mapping. */
export interface ConnectorTypeDoc {
  /** The source's type name (`numeric(p,s)`, `varchar`). */
  readonly source: string;
  /** What it arrives as in Spoke (`decimal(p,s)`, `utf8`). */
  readonly spoke: string;
  readonly note?: string;
}

/** What a connector's tables (and `sql` executor) do, as declared. */
export interface PushdownCapabilities {
  /**
   * What `supportsFilters` answers for the filters the connector handles:
   * `exact` (results equal Spoke's engine's), `inexact` (a superset, the
   * planner filters again) or `none`.
   */
  readonly filters: 'exact' | 'inexact' | 'none';
  /** Whether the connector applies `limit`. */
  readonly limit: boolean;
  /** Whether the connector applies `orderBy` + `limit` (top-N). */
  readonly topN: boolean;
  /** The scalar functions filters may use. Default: all of `SCALAR_FUNCTIONS`. */
  readonly functions?: readonly ScalarFunctionName[];
  /** The expression kinds filters may use. Default: all. */
  readonly operators?: readonly ExprKind[];
  /** Cast and function signatures left out (`cast(timestamp as date)`, `upper(utf8)`, `round(*)`). */
  readonly exclude?: readonly string[];
  /** Whether whole sub-queries are sent to the source as one statement (`connector.sql`). */
  readonly wholeQueries?: boolean;
  /** What `statistics()` reports. Default `none`. */
  readonly statistics?: 'exact' | 'estimated' | 'none';
}
