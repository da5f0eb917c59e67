/**
 * Text forms of dates and timestamps, shared by the fixture and the
 * canonical row form. Days and microseconds since the Unix epoch, UTC.
 */

const MICROS_PER_DAY = 86_400_000_000n;

/** `YYYY-MM-DD` for a day number since 1970-01-01. */
export function daysToIso(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/** The day number since 1970-01-01 of a `YYYY-MM-DD` text. */
export function isoToDays(text: string): number {
  const ms = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${text}`);
  return Math.round(ms / 86_400_000);
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` for microseconds since the epoch (always six fractional digits). */
export function microsToIso(micros: bigint): string {
  // Floor division, so instants before 1970 keep a positive fraction.
  let days = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    days -= 1n;
  }
  const seconds = rest / 1_000_000n;
  const fraction = rest % 1_000_000n;
  const hh = seconds / 3600n;
  const mm = (seconds % 3600n) / 60n;
  const ss = seconds % 60n;
  const two = (n: bigint) => n.toString().padStart(2, '0');
  return `${daysToIso(Number(days))} ${two(hh)}:${two(mm)}:${two(ss)}.${fraction.toString().padStart(6, '0')}`;
}

/** Microseconds since the epoch of `YYYY-MM-DD[ T]HH:MM:SS[.ffffff]` (read as UTC; an offset is not accepted). */
export function isoToMicros(text: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) throw new Error(`not a timestamp: ${text}`);
  const days = BigInt(isoToDays(m[1]!));
  const seconds = BigInt(m[2]!) * 3600n + BigInt(m[3]!) * 60n + BigInt(m[4]!);
  const fraction = BigInt((m[5] ?? '').padEnd(6, '0'));
  return days * MICROS_PER_DAY + seconds * 1_000_000n + fraction;
}

/** `HH:MM:SS.ffffff` for microseconds since midnight. */
export function timeMicrosToIso(micros: bigint): string {
  const seconds = micros / 1_000_000n;
  const two = (n: bigint) => n.toString().padStart(2, '0');
  return `${two(seconds / 3600n)}:${two((seconds % 3600n) / 60n)}:${two(seconds % 60n)}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
}
