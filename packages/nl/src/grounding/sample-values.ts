/**
 * A few distinct values of text columns, read *as the asker* through the
 * same engine their queries use, so row filters and masks hold for them as
 * for any query. Masked columns and aggregate-only tables are not read at
 * all: their values must not reach a prompt even in masked form.
 */
import type { QueryContext } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';
import type { GroundedTable } from './grounded-catalog.js';
import { quoteIdent } from './grounded-catalog.js';

/** Rows read per table to find distinct values. */
const SAMPLE_ROWS = 50;
/** Longer values are not useful as examples (and bloat the prompt). */
const MAX_SAMPLE_CHARS = 40;

/**
 * Sample values already read, for one viewer: the key must tell apart every
 * asker who could see different rows (user, roles, attributes), and the
 * entry holds the table's text columns so a changed table reads afresh.
 */
export class SampleCache {
  readonly #entries = new Map<string, { at: number; values: Map<string, string[]> }>();
  constructor(
    readonly ttlMs = 5 * 60_000,
    readonly maxEntries = 2000,
  ) {}

  get(key: string): Map<string, string[]> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.at > this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.values;
  }

  set(key: string, values: Map<string, string[]>): void {
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    this.#entries.set(key, { at: Date.now(), values });
  }
}

/** Options of {@link addSampleValues}. */
export interface SampleOptions {
  readonly signal?: AbortSignal;
  readonly context?: Partial<QueryContext>;
  /** Labels the sampling SQL (for the audit trail). */
  readonly label?: (sql: string) => string;
  /** A cache, and the asker's key in it (who sees which rows); no caching without both. */
  readonly cache?: SampleCache;
  readonly viewer?: string;
}

/** Fills `samples` of the text columns of `tables` with up to `perColumn` distinct values. */
export async function addSampleValues(
  engine: Pick<QueryEngine, 'query'>,
  tables: readonly GroundedTable[],
  perColumn: number,
  options: SampleOptions = {},
): Promise<void> {
  if (perColumn <= 0) return;
  for (const table of tables) {
    if (table.aggregateOnly) continue;
    const columns = table.columns.filter((c) => !c.masked && c.type === 'text');
    if (columns.length === 0) continue;
    const key =
      options.cache && options.viewer !== undefined
        ? JSON.stringify([options.viewer, table.qualified, perColumn, columns.map((c) => c.name)])
        : undefined;
    const cached = key !== undefined ? options.cache!.get(key) : undefined;
    if (cached) {
      for (const c of columns) c.samples = [...(cached.get(c.name) ?? [])];
      continue;
    }
    // Names come from the catalog, never from the question.
    const sql = `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${table.qualified} LIMIT ${SAMPLE_ROWS}`;
    try {
      const result = await engine.query(options.label ? options.label(sql) : sql, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.context ? { context: options.context } : {}),
      });
      const seen = columns.map(() => new Set<string>());
      for await (const batch of result.batches) {
        for (let i = 0; i < columns.length; i++) {
          const vector = batch.getChildAt(i);
          for (let row = 0; row < batch.numRows && seen[i]!.size < perColumn; row++) {
            const value = vector?.get(row);
            if (typeof value === 'string' && value.length <= MAX_SAMPLE_CHARS) seen[i]!.add(value);
          }
        }
      }
      columns.forEach((c, i) => {
        c.samples = [...seen[i]!];
      });
      if (key !== undefined) options.cache!.set(key, new Map(columns.map((c) => [c.name, c.samples])));
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // Samples are a help, not a requirement: a source that is down leaves the prompt without them.
    }
  }
}
