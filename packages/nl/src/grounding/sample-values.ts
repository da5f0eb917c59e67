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

/** Fills `samples` of the text columns of `tables` with up to `perColumn` distinct values. */
export async function addSampleValues(
  engine: Pick<QueryEngine, 'query'>,
  tables: readonly GroundedTable[],
  perColumn: number,
  options: { signal?: AbortSignal; context?: Partial<QueryContext> } = {},
): Promise<void> {
  if (perColumn <= 0) return;
  for (const table of tables) {
    if (table.aggregateOnly) continue;
    const columns = table.columns.filter((c) => !c.masked && c.type === 'text');
    if (columns.length === 0) continue;
    // Names come from the catalog, never from the question.
    const sql = `SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${table.qualified} LIMIT ${SAMPLE_ROWS}`;
    try {
      const result = await engine.query(sql, {
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
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // Samples are a help, not a requirement: a source that is down leaves the prompt without them.
    }
  }
}
