import type { VacuumReport } from './lance-writer.js';

/** What the policy needs: the tables and a way to vacuum one. */
export interface CompactionTarget {
  tableNames(): Promise<readonly string[]>;
  fragmentCount(table: string): Promise<number>;
  vacuum(table: string): Promise<VacuumReport>;
}

/** Settings of the background compaction policy. */
export interface CompactionPolicyOptions {
  /** Compact a table once it has more fragments than this. */
  readonly fragmentThreshold: number;
  readonly intervalMs: number;
  /** Called with every report (and with errors), e.g. to log them. */
  readonly onReport?: (report: VacuumReport) => void;
  readonly onError?: (error: unknown, table: string) => void;
}

/**
 * Compacts tables in the background when their fragment count passes a
 * threshold: every `intervalMs` it looks at each table's fragment count and
 * vacuums those above it, one at a time. The timer does not keep the process
 * alive, and a round never overlaps the previous one.
 */
export class CompactionPolicy {
  readonly #target: CompactionTarget;
  readonly #options: CompactionPolicyOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<VacuumReport[]> | undefined;
  /** Every report so far, newest last (bounded to the last 100). */
  readonly reports: VacuumReport[] = [];
  /** Errors of past rounds, newest last (bounded to the last 100): a failing table does not stop the others. */
  readonly errors: { table: string; error: unknown }[] = [];

  constructor(target: CompactionTarget, options: CompactionPolicyOptions) {
    this.#target = target;
    this.#options = options;
  }

  /** Starts the timer (idempotent). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.runOnce(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One round: vacuums every table over the threshold and returns what was done. */
  runOnce(): Promise<VacuumReport[]> {
    this.#running ??= this.#round().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #round(): Promise<VacuumReport[]> {
    const done: VacuumReport[] = [];
    let names: readonly string[] = [];
    try {
      names = await this.#target.tableNames();
    } catch (error) {
      this.#failed(error, '*');
    }
    for (const name of names) {
      try {
        if ((await this.#target.fragmentCount(name)) <= this.#options.fragmentThreshold) continue;
        const report = await this.#target.vacuum(name);
        done.push(report);
        this.reports.push(report);
        if (this.reports.length > 100) this.reports.shift();
        this.#options.onReport?.(report);
      } catch (error) {
        this.#failed(error, name);
      }
    }
    return done;
  }

  #failed(error: unknown, table: string): void {
    this.errors.push({ table, error });
    if (this.errors.length > 100) this.errors.shift();
    this.#options.onError?.(error, table);
  }
}
