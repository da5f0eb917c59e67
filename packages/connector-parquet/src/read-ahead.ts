/**
 * Fetching ahead of the decoder, within a byte budget: a scan is a sequence
 * of parts (row groups of one object, across all its objects), each fetched
 * with ranged GETs. While DuckDB decodes part i, parts i+1… are already on
 * their way — across object boundaries, so a table of many files does not
 * wait for each file's bytes after the previous file's rows — as long as
 * the bytes fetched but not yet taken stay within the budget (at least one
 * part is always ahead). GETs in flight are bounded for the whole scan by a
 * {@link Gate}.
 */

/** A counting semaphore: at most `limit` tasks run at once. */
export class Gate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  /** The most tasks that ran at once (for tests). */
  peak = 0;

  constructor(readonly limit: number) {}

  /** Runs `task` when a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    this.peak = Math.max(this.peak, this.#running);
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

/** One unit of read-ahead: its size, and how to fetch it. */
export interface AheadItem<T> {
  readonly bytes: number;
  readonly fetch: () => Promise<T>;
}

/** Items taken in order; the next ones are started within the byte budget. */
export class ReadAhead<T> {
  readonly #started: (Promise<T> | undefined)[];
  #next = 0;

  constructor(
    readonly items: readonly AheadItem<T>[],
    readonly budgetBytes: number,
  ) {
    this.#started = new Array(items.length);
  }

  /** Item `i`'s result (items are taken in order, each once), starting what follows within the budget. */
  take(i: number): Promise<T> {
    const own = this.#start(i);
    this.#started[i] = undefined; // taken: its bytes are the decoder's now
    let ahead = 0;
    for (let j = i + 1; j < this.items.length; j++) {
      const bytes = (this.items[j] as AheadItem<T>).bytes;
      if (j > i + 1 && ahead + bytes > this.budgetBytes) break;
      ahead += bytes;
      if (j >= this.#next) this.#start(j);
    }
    return own;
  }

  #start(j: number): Promise<T> {
    let p = this.#started[j];
    if (!p && j >= this.#next) {
      p = (this.items[j] as AheadItem<T>).fetch();
      // Awaited when taken; one never taken (an early stop) must not be an unhandled rejection.
      p.catch(() => undefined);
      this.#started[j] = p;
      this.#next = j + 1;
    }
    if (!p) throw new Error(`read-ahead item ${j} was already taken`);
    return p;
  }
}
