/**
 * How fresh a source's data is: when it last changed, as far as the source
 * can tell cheaply (a Lance version's time, an object's `LastModified`, a
 * file's mtime, PostgreSQL's commit timestamps). The gateway's health probe
 * asks for it and the console draws fresh sources brighter.
 */
import type { Estimate } from './statistics.js';

/** When one table's data last changed. */
export interface TableFreshness {
  readonly schema: string;
  readonly table: string;
  /**
   * When the data last changed: `exact` when the source records the time of
   * the change itself (a commit timestamp, a version's time, an object's
   * `LastModified`), not exact when it is inferred (a change noticed between
   * two probes, the last autoanalyze). Absent when the source cannot say.
   */
  readonly lastModified?: Estimate<Date>;
}

/** What `SpokeConnector.freshness` answers. */
export interface SourceFreshness {
  /** The latest change anywhere in the source (the latest of the tables', or the source's own). Absent: unknown. */
  readonly lastModified?: Estimate<Date>;
  /**
   * How it was read, for operators: `pg_last_committed_xact`,
   * `pg_stat_user_tables`, `file mtime`, `lance version`, `object LastModified`…
   */
  readonly method: string;
  /** Per table, where the source can tell them apart. */
  readonly tables?: readonly TableFreshness[];
}

/** The later of two optional estimates; a tie keeps the exact one. */
export function laterEstimate(
  a: Estimate<Date> | undefined,
  b: Estimate<Date> | undefined,
): Estimate<Date> | undefined {
  if (!a) return b;
  if (!b) return a;
  const diff = a.value.getTime() - b.value.getTime();
  return diff > 0 || (diff === 0 && a.exact) ? a : b;
}
