/**
 * One source's status as a given user may see it — health, data freshness,
 * access counters and current activity — built in one place for both
 * `GET /v1/sources` and the `spoke.sources` system table, so the two always
 * agree and are filtered by the same rules: an admin (or anyone, with
 * authentication off) sees every source; anyone else sees the sources that
 * hold a table they may see, the freshness of those tables only, and no
 * other user's error text.
 */
import type { AccessTotals, SourceActivity } from '../events/access-counters.js';
import type { Operator } from '../events/operator.js';
import { type FreshnessView, freshnessView } from './source-freshness.js';
import type { SourceHealth } from './source-health.js';

/** What a user sees of one source. */
export type SourceStatus = Omit<SourceHealth, 'history'> & {
  readonly name: string;
  readonly history: SourceHealth['history'];
  readonly freshness: FreshnessView;
  readonly activity: SourceActivity;
  readonly counters: AccessTotals;
  readonly lastAccess: string | null;
};

/** A table a user may see, as the catalog lists it. */
export interface VisibleTable {
  readonly source: string;
  readonly schema: string;
  readonly name: string;
}

/** The sources shown: every probed source for someone who sees everything, else those with a visible table. */
export function visibleSourceNames(
  operator: Operator,
  everything: boolean,
  tables: readonly VisibleTable[],
): string[] {
  const all = operator.health.sources();
  if (everything) return all;
  const withTables = new Set(tables.map((t) => t.source));
  return all.filter((s) => withTables.has(s));
}

/**
 * `name`'s status for a user.
 *
 * @param everything - the user sees everything (admin, or authentication off)
 * @param tables - the tables the user may see (used when not `everything`)
 */
export function sourceStatus(
  operator: Operator,
  name: string,
  everything: boolean,
  tables: readonly VisibleTable[],
): SourceStatus {
  const health = operator.health.health(name);
  const counters = operator.hub.counters.totals(name);
  const visible = everything
    ? undefined
    : new Set(tables.filter((t) => t.source === name).map((t) => `${t.schema}.${t.name}`));
  // A query's failed access is quoted in the reason; its text may hold another user's literals.
  const reason =
    !everything && health.reason?.startsWith(ACCESS_FAILED)
      ? health.reason.split(':', 2).join(':')
      : health.reason;
  return {
    name,
    ...health,
    reason,
    freshness: freshnessView(operator.health.freshness(name), visible),
    activity: operator.hub.counters.activity(name),
    counters: everything
      ? counters
      : { ...counters, lastError: counters.lastError && { ...counters.lastError, message: null } },
    lastAccess: counters.lastAccess,
  };
}

/** How the health monitor words a query's failed access (see source-health.ts). */
const ACCESS_FAILED = "a query's access failed";
