/**
 * One source's status as a given user may see it — health, data freshness,
 * access counters and current activity — built in one place for both
 * `GET /v1/sources` and the `spoke.sources` system table, so the two always
 * agree and are filtered by the same rules: an admin (or anyone, with
 * authentication off) sees every source; anyone else sees the sources that
 * hold a table they may see, the freshness of those tables only, and no
 * other user's error text.
 */
import type { QueryContext } from '@spoke/core';
import type { AccessTotals, SourceActivity } from '../events/access-counters.js';
import type { Operator } from '../events/operator.js';
import { ADMIN_ROLE } from '../service/query-service.js';
import { type FreshnessView, freshnessView } from './source-freshness.js';
import type { SourceHealth } from './source-health.js';
import type { SourcesView } from './sources-table.js';

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

/**
 * The rows of `spoke.sources` for whoever runs the query: everything for an
 * admin or with authentication off, otherwise the sources holding a table
 * the user's catalog shows. A catalog that cannot be read (a source is down)
 * falls back to the user's last one read, so the table answers when it
 * matters most.
 *
 * @param catalog - the tables `context`'s user may see (security policies applied)
 */
export function sourcesView(
  operator: Operator,
  catalog: (context: QueryContext, signal: AbortSignal) => Promise<readonly VisibleTable[]>,
  authenticationRequired: boolean,
): SourcesView {
  const lastCatalogs = new Map<string, readonly VisibleTable[]>();
  return {
    async sources(context, signal) {
      const everything = !authenticationRequired || context.roles.includes(ADMIN_ROLE);
      let tables: readonly VisibleTable[] = [];
      if (!everything) {
        const key = JSON.stringify([
          context.user ?? null,
          [...context.roles].sort(),
          context.attributes ?? {},
        ]);
        try {
          tables = await catalog(context, signal);
          lastCatalogs.set(key, tables);
        } catch (error) {
          const last = lastCatalogs.get(key);
          if (!last) throw error;
          tables = last;
        }
      }
      return visibleSourceNames(operator, everything, tables).map((name) =>
        sourceStatus(operator, name, everything, tables),
      );
    },
  };
}
