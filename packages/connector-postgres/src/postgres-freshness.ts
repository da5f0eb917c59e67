/**
 * When a PostgreSQL source's data last changed (`SpokeConnector.freshness`).
 *
 * - Source: with `track_commit_timestamp = on`, `pg_last_committed_xact()` —
 *   the time of the latest commit, exact. Otherwise the latest of the tables'.
 * - Tables: PostgreSQL records no modification time per table, so the
 *   cumulative `n_tup_ins + n_tup_upd + n_tup_del` of `pg_stat_user_tables`
 *   is remembered from one call to the next, and a table whose count grew
 *   changed in between — estimated as "now", i.e. within one probe interval.
 *   Before a change has been seen, the last autovacuum/autoanalyze (which
 *   run only after modifications) stands in as an estimate. The counters
 *   reach the view up to a second or so after a transaction ends.
 */
import { type Estimate, laterEstimate, type SourceFreshness, type TableFreshness } from '@spoke/core';
import type { PgPool } from './pg-driver.js';

interface Seen {
  changes: number;
  changedAt: Date | undefined;
}

/** Keeps what the last call saw; one per connector. */
export class PostgresFreshness {
  readonly #seen = new Map<string, Seen>();

  constructor(readonly pool: PgPool) {}

  /** Reads the statistics views; see the file comment. */
  async read(): Promise<SourceFreshness> {
    const now = new Date();
    // Epoch milliseconds as float8 and counts as text: no dependence on the driver's type parsers.
    const stats = await this.pool.query<{
      schemaname: string;
      relname: string;
      changes: string;
      maintained: number | null;
    }>(
      `SELECT schemaname, relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS changes,
              extract(epoch FROM greatest(last_autovacuum, last_autoanalyze))::float8 * 1000 AS maintained
         FROM pg_catalog.pg_stat_user_tables`,
    );
    const tables: TableFreshness[] = [];
    let latest: Estimate<Date> | undefined;
    for (const row of stats.rows) {
      const key = JSON.stringify([row.schemaname, row.relname]);
      const changes = Number(row.changes);
      const seen = this.#seen.get(key);
      // A count that went down was reset (pg_stat_reset, a crash): a new baseline, not a change.
      if (seen && changes > seen.changes) seen.changedAt = now;
      if (seen) seen.changes = changes;
      else this.#seen.set(key, { changes, changedAt: undefined });
      const changedAt = seen?.changedAt;
      const maintained = row.maintained === null ? undefined : new Date(Number(row.maintained));
      const at = changedAt ?? maintained;
      const lastModified = at ? { value: at, exact: false } : undefined;
      tables.push({ schema: row.schemaname, table: row.relname, ...(lastModified ? { lastModified } : {}) });
      latest = laterEstimate(latest, lastModified);
    }
    const commit = await this.pool.query<{ enabled: boolean; at: number | null }>(
      `SELECT current_setting('track_commit_timestamp') = 'on' AS enabled,
              CASE WHEN current_setting('track_commit_timestamp') = 'on'
                   THEN extract(epoch FROM (pg_catalog.pg_last_committed_xact()).timestamp)::float8 * 1000 END AS at`,
    );
    const row = commit.rows[0];
    if (row?.enabled) {
      const lastModified =
        row.at === null ? undefined : { value: new Date(Number(row.at)), exact: true as const };
      return { method: 'pg_last_committed_xact', ...(lastModified ? { lastModified } : {}), tables };
    }
    return { method: 'pg_stat_user_tables', ...(latest ? { lastModified: latest } : {}), tables };
  }
}
