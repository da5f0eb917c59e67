import { arrow, batchesOf, noBatches } from '@spoke/core';
import type { QueryResult } from '../engine-api.js';

/** A result of text columns built in memory (SHOW, EXPLAIN). */
export function textResult(
  columns: readonly string[],
  rows: readonly (readonly (string | null)[])[],
  command: string,
): QueryResult {
  const vectors = Object.fromEntries(
    columns.map((name, i) => [
      name,
      arrow.vectorFromArray(
        rows.map((r) => r[i] ?? null),
        new arrow.Utf8(),
      ),
    ]),
  );
  const table = new arrow.Table(vectors);
  return {
    command,
    schema: table.schema,
    batches: batchesOf(table.batches),
  };
}

/** A result with no rows (SET, BEGIN…). */
export function commandResult(command: string): QueryResult {
  return { command, schema: new arrow.Schema([]), batches: noBatches() };
}
