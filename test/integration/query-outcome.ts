/**
 * A query's whole outcome as a comparable value — its columns with their
 * Arrow types and its rows in canonical order, or its error's code, message
 * and details — for tests that compare two paths through the engine (the
 * plan cache against the uncached engine).
 */
import assert from 'node:assert/strict';
import { SpokeError } from '@spoke/core';
import { collectBatches, type QueryResult } from '@spoke/planner';
import { canonicalRowsFromBatches } from '@spoke/testing';

/** What a query answered, or how it failed. */
export type Outcome =
  | { readonly columns: string[]; readonly rows: unknown[][] }
  | { readonly error: { code: string; message: string; details: unknown } };

/** Runs the query and drains it; an error must be a `SpokeError`. */
export async function outcome(run: () => Promise<QueryResult>): Promise<Outcome> {
  try {
    const result = await run();
    const batches = await collectBatches(result);
    return {
      columns: result.schema.fields.map((f) => `${f.name}:${String(f.type)}`),
      rows: canonicalRowsFromBatches(batches) as unknown[][],
    };
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), `not a SpokeError: ${String(error)}`);
    return { error: { code: error.code, message: error.message, details: error.details ?? null } };
  }
}
