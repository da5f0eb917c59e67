/**
 * Re-planning a wait on evidence: a read that waits for another read's join
 * keys stops waiting as soon as that read has brought more distinct keys
 * than could be sent — instead of after its last row.
 *
 * The plan waits for a feeder because its estimate promised few keys; when
 * statistics were stale or missing, the feeder may bring hundreds of
 * thousands of rows, and the run-time check (`keyList`) would drop its keys
 * anyway, once every row had arrived and been loaded. Here the feeder's
 * rows are watched as they arrive from its source: once it has brought more
 * rows than {@link EVIDENCE_FACTOR} times its estimate (the evidence that
 * the estimate was wrong; before that, nothing is counted), the distinct
 * values of the join column are counted, exactly, and when they pass what
 * the waiting read would take (its key limit, or half its own keys), the
 * wait ends: the read starts at once without those keys (or with the
 * reduction inside its source that the plan kept for this case). The
 * feeder goes on loading for the residual; nothing is read twice.
 */
import type { RecordBatch } from '@spoke/core';

/** A feeder's rows are checked only after this many times its estimate has arrived. */
export const EVIDENCE_FACTOR = 4;

/** One wait being watched: the keys of `column` and how many the waiting read would take. */
interface Watch {
  readonly column: string;
  /** Distinct keys that still fit; one more overflows. */
  readonly cap: number;
  /** Rows after which counting starts. */
  readonly after: number;
  readonly seen: Set<unknown>;
  readonly overflow: () => void;
  fired: boolean;
}

/**
 * Watches one read's arriving rows for the waits on its keys. The executor
 * feeds it every batch the source returns ({@link KeyOverflow.observe}) and
 * races each wait's {@link KeyOverflow.watch} with the read's completion.
 */
export class KeyOverflow {
  #rows = 0;
  #ended = false;
  readonly #watches: Watch[] = [];

  /**
   * Resolves with the rows that had arrived when more than `cap` distinct
   * non-NULL values of `column` had arrived, counting only after
   * `after` rows; never, when the read ends first (its keys are then
   * checked as usual).
   */
  watch(column: string, cap: number, after: number): Promise<number> {
    if (this.#ended || !Number.isFinite(cap)) return new Promise(() => undefined);
    return new Promise((resolve) => {
      const watch: Watch = {
        column,
        cap,
        after,
        seen: new Set(),
        fired: false,
        overflow: () => resolve(this.#rows),
      };
      this.#watches.push(watch);
    });
  }

  /** A batch arrived from the source. */
  observe(batch: RecordBatch): void {
    const before = this.#rows;
    this.#rows += batch.numRows;
    for (const watch of this.#watches) {
      if (watch.fired || this.#rows <= watch.after) continue;
      const column = batch.getChild(watch.column);
      if (!column) continue;
      // Rows of this batch past the point where counting starts.
      for (let i = Math.max(0, watch.after - before); i < batch.numRows; i++) {
        const value = column.get(i);
        if (value === null || value === undefined) continue;
        watch.seen.add(value);
        if (watch.seen.size > watch.cap) {
          watch.fired = true;
          watch.seen.clear();
          watch.overflow();
          break;
        }
      }
    }
  }

  /** The read ended (or failed): pending watches never fire and their counts are dropped. */
  end(): void {
    this.#ended = true;
    for (const watch of this.#watches) watch.seen.clear();
    this.#watches.length = 0;
  }
}
