/**
 * `spoke query`'s progress line: on a terminal, once a query has run for a
 * second, one line on standard error — elapsed time and the rows read from
 * each source so far, against the source's estimate where it gave one
 * (`pg 12,000 of ~50,000 rows`) — redrawn in place four times a second and erased
 * before the answer is printed. Silent when either output is not a terminal
 * (piped or redirected), so scripts see only the answer.
 */
import type { SourceMeter } from '../service/source-meter.js';

/** Where the line is drawn: standard error, or any stream with the same two members. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): boolean;
}

/** Options for {@link startProgress}. */
export interface ProgressOptions {
  /** Nothing is drawn before the query has run this long, ms. Default 1000. */
  readonly delayMs?: number;
  /** Redraw interval, ms. Default 250. */
  readonly intervalMs?: number;
  /** Whether the answer goes to a terminal too (the line would interleave with it otherwise). Default: stdout's. */
  readonly outputIsTerminal?: boolean;
}

/** A running progress line. */
export interface Progress {
  /** Erases the line (if drawn) and stops redrawing. Call before writing the answer; safe to call twice. */
  stop(): void;
}

function formatRows(n: number): string {
  return n.toLocaleString('en-US');
}

/** Draws the progress of the one query running through `meter`'s connectors; see the file comment. */
export function startProgress(
  meter: SourceMeter,
  stream: ProgressStream,
  options: ProgressOptions = {},
): Progress {
  const outputIsTerminal = options.outputIsTerminal ?? process.stdout.isTTY === true;
  if (!stream.isTTY || !outputIsTerminal) return { stop() {} };
  const rows = new Map<string, number>();
  const previous = meter.onBatch;
  meter.onBatch = (source, n, bytes) => {
    previous(source, n, bytes);
    rows.set(source, (rows.get(source) ?? 0) + n);
  };
  // Each scan's estimate, by access id, as the sources give them.
  const estimates = new Map<number, { source: string; rows: number }>();
  const previousEstimate = meter.tap.onEstimate;
  meter.tap.onEstimate = (access) => {
    previousEstimate(access);
    if (access.estimatedRows !== null)
      estimates.set(access.id, { source: access.source, rows: access.estimatedRows });
  };
  const started = Date.now();
  let drawn = false;
  const draw = () => {
    const estimated = new Map<string, number>();
    for (const { source, rows: n } of estimates.values())
      estimated.set(source, (estimated.get(source) ?? 0) + n);
    const elapsed = ((Date.now() - started) / 1000).toFixed(1);
    const parts = [...rows].map(([source, n]) => {
      const of = estimated.get(source);
      return of === undefined
        ? `${source} ${formatRows(n)} rows`
        : `${source} ${formatRows(n)} of ~${formatRows(Math.max(of, n))} rows`;
    });
    stream.write(
      `\r\x1b[K${elapsed} s${parts.length > 0 ? ` · ${parts.join(' · ')}` : ' · waiting for the sources'}`,
    );
    drawn = true;
  };
  let timer: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    draw();
    timer = setInterval(draw, options.intervalMs ?? 250);
  }, options.delayMs ?? 1000);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(delay);
      clearInterval(timer);
      meter.onBatch = previous;
      meter.tap.onEstimate = previousEstimate;
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
