/**
 * Data freshness per source as the operator endpoints show it: what the
 * connector's optional `freshness(signal)` answered at the last check, in
 * JSON-friendly form, and filtered to the tables a user may see — a user who
 * may not see every table of a source sees the freshness of the tables they
 * can see (the latest of theirs), never a time that only a hidden table's
 * change explains.
 */
import type { SourceFreshness } from '@spoke/core';

/** One table's freshness, as shown. */
export interface TableFreshnessView {
  readonly schema: string;
  readonly table: string;
  /** ISO 8601, or null when the source cannot say for this table. */
  readonly lastModified: string | null;
  readonly exact: boolean | null;
}

/** What `GET /v1/sources` and `spoke.sources` show of a source's freshness. */
export interface FreshnessView {
  /** `known` when the source said when its data last changed; `unknown` when it cannot (or was not asked yet). */
  readonly state: 'known' | 'unknown';
  /** When the data last changed, ISO 8601. */
  readonly lastModified: string | null;
  /** True: the time of the change as the source recorded it; false: inferred (see `method`). */
  readonly exact: boolean | null;
  /** How the source told: `pg_last_committed_xact`, `pg_stat_user_tables`, `lance version`, `object LastModified`, `file mtime`. */
  readonly method: string | null;
  /** Milliseconds between `lastModified` and now. */
  readonly ageMs: number | null;
  /** When the source was last asked, ISO 8601. */
  readonly checkedAt: string | null;
  /** Why the last check failed, when it did (the previous answer is kept). */
  readonly error: string | null;
  readonly tables: readonly TableFreshnessView[];
}

/** The last answer of a source's `freshness`, as the health monitor keeps it. */
export interface FreshnessCheck {
  readonly checkedAt: Date;
  readonly result: SourceFreshness | undefined;
  readonly error: string | null;
}

const UNKNOWN: FreshnessView = {
  state: 'unknown',
  lastModified: null,
  exact: null,
  method: null,
  ageMs: null,
  checkedAt: null,
  error: null,
  tables: [],
};

/**
 * The freshness `check` shows.
 *
 * @param visible - `schema.table` names the user may see of this source; undefined: all (an admin)
 */
export function freshnessView(
  check: FreshnessCheck | undefined,
  visible: ReadonlySet<string> | undefined,
  now = Date.now(),
): FreshnessView {
  if (!check) return UNKNOWN;
  const base = { ...UNKNOWN, checkedAt: check.checkedAt.toISOString(), error: check.error };
  const result = check.result;
  if (!result) return base;
  const tables = (result.tables ?? [])
    .filter((t) => !visible || visible.has(`${t.schema}.${t.table}`))
    .map((t) => ({
      schema: t.schema,
      table: t.table,
      lastModified: t.lastModified?.value.toISOString() ?? null,
      exact: t.lastModified?.exact ?? null,
    }));
  let latest = result.lastModified;
  // Someone who may not see every table: only what their tables explain.
  if (visible && result.tables?.length) {
    latest = undefined;
    for (const t of result.tables)
      if (visible.has(`${t.schema}.${t.table}`) && t.lastModified)
        if (!latest || t.lastModified.value > latest.value) latest = t.lastModified;
  }
  if (!latest) return { ...base, method: result.method, tables };
  return {
    ...base,
    state: 'known',
    lastModified: latest.value.toISOString(),
    exact: latest.exact,
    method: result.method,
    ageMs: Math.max(0, now - latest.value.getTime()),
    tables,
  };
}
