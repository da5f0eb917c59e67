/**
 * When a MySQL/MariaDB source's data last changed (`SpokeConnector.freshness`):
 * per table, `information_schema.TABLES.UPDATE_TIME` — set by InnoDB when a
 * change commits (whole seconds). An estimate: it is kept in memory only
 * (NULL after a server restart until the next change), MySQL 8 serves it from
 * a cache refreshed every `information_schema_stats_expiry` (24 h by
 * default), and a table untouched since the restart has none.
 */
import { laterEstimate, type SourceFreshness, type TableFreshness } from '@spoke/core';

/** Reads the tables' update times with `query`; `system` schemas are left out. */
export async function mysqlFreshness(
  query: <T>(sql: string, params: readonly unknown[]) => Promise<T[]>,
  system: ReadonlySet<string>,
): Promise<SourceFreshness> {
  const rows = await query<{ s: string; t: string; at: string | number | null }>(
    `SELECT TABLE_SCHEMA AS s, TABLE_NAME AS t, UNIX_TIMESTAMP(UPDATE_TIME) AS at
       FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'`,
    [],
  );
  const tables: TableFreshness[] = [];
  let latest: TableFreshness['lastModified'];
  for (const row of rows) {
    if (system.has(row.s)) continue;
    const lastModified =
      row.at === null ? undefined : { value: new Date(Number(row.at) * 1000), exact: false };
    tables.push({ schema: row.s, table: row.t, ...(lastModified ? { lastModified } : {}) });
    latest = laterEstimate(latest, lastModified);
  }
  return { method: 'information_schema UPDATE_TIME', ...(latest ? { lastModified: latest } : {}), tables };
}
