/**
 * When a Lance source's data last changed (`SpokeConnector.freshness`): per
 * table, the time of its latest version — every write, delete, schema change
 * or compaction commits a new version with its time, so it is exact (a
 * compaction, which changes no row, counts as a change too).
 */
import { laterEstimate, type SourceFreshness, type TableFreshness, throwIfAborted } from '@spoke/core';
import { LANCE_SCHEMA } from './lance-catalog.js';
import type { LanceConnector } from './lance-connector.js';

/** Reads every table's version list; see the file comment. */
export async function lanceFreshness(
  connector: LanceConnector,
  signal?: AbortSignal,
): Promise<SourceFreshness> {
  const tables: TableFreshness[] = [];
  let latest: TableFreshness['lastModified'];
  for (const name of await connector.tableNames()) {
    throwIfAborted(signal);
    let at: Date | undefined;
    // A table dropped since it was listed has no freshness left to report.
    const versions = await connector.listVersions(name).catch(() => []);
    for (const version of versions) if (!at || version.timestamp > at) at = version.timestamp;
    const lastModified = at ? { value: at, exact: true } : undefined;
    tables.push({ schema: LANCE_SCHEMA, table: name, ...(lastModified ? { lastModified } : {}) });
    latest = laterEstimate(latest, lastModified);
  }
  return { method: 'lance version', ...(latest ? { lastModified: latest } : {}), tables };
}
