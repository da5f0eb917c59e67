/**
 * What a benchmark file exports, and small helpers for timing and printing.
 *
 * A benchmark is a file in `bench/` that exports `bench` (a {@link Bench});
 * `run.ts` finds it by itself. Files without that export (like this one) are
 * helpers.
 */

/** One benchmark. */
export interface Bench {
  /** Short name used on the command line: `npm run bench -w @spoke/bench -- <name>`. */
  readonly name: string;
  /** One line saying what is measured and against which limit. */
  readonly description: string;
  /** Runs the measurement and prints its table. Must clean up what it creates. */
  run(): Promise<void>;
}

/** Seconds taken by `fn` (wall clock). */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The fastest of `runs` timings of `fn` (after `setup` each time, untimed): the least noisy figure on a shared machine. */
export async function best(
  runs: number,
  fn: (run: number) => Promise<unknown>,
  setup?: (run: number) => Promise<unknown>,
): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    if (setup) await setup(r);
    fastest = Math.min(fastest, await time(() => fn(r)));
  }
  return fastest;
}

/** Prints rows as an aligned text table (first row is the header). */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) =>
    r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(line(rows[0] ?? []));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** 1234567 → "1.23M". */
export function perSecond(rows: number, seconds: number): string {
  const rate = rows / seconds;
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(0)}k`;
}
