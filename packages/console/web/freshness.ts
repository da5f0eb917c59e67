/**
 * Data freshness on the map: how bright a source's node glows from how long
 * ago its data last changed (as the gateway's probe learnt it), and the words
 * for it. Bright for minutes-old data, fading over a month; `unknown` (a
 * source that cannot say) neither glows nor dims.
 */
import type { Freshness } from './api.js';

/** `fresh` (< 1 hour), `recent` (< 1 day), `stale`, or `unknown`. */
export type FreshnessLevel = 'fresh' | 'recent' | 'stale' | 'unknown';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The level of `freshness`. */
export function freshnessLevel(freshness: Freshness | null | undefined): FreshnessLevel {
  if (freshness?.state !== 'known' || freshness.ageMs === null) return 'unknown';
  if (freshness.ageMs < HOUR) return 'fresh';
  if (freshness.ageMs < DAY) return 'recent';
  return 'stale';
}

/**
 * The glow's brightness, 0–1: 1 up to five minutes old, then falling with
 * the logarithm of the age to 0 at thirty days.
 */
export function freshnessBrightness(freshness: Freshness | null | undefined): number {
  if (freshness?.state !== 'known' || freshness.ageMs === null) return 0;
  const age = Math.max(freshness.ageMs, 5 * MINUTE);
  const span = Math.log(30 * DAY) - Math.log(5 * MINUTE);
  return Math.max(0, Math.min(1, 1 - (Math.log(age) - Math.log(5 * MINUTE)) / span));
}

/** "3 min ago", "5 h ago", "12 days ago". */
export function ago(ms: number): string {
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s ago`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.round(ms / HOUR)} h ago`;
  return `${Math.round(ms / DAY)} days ago`;
}

/** "data changed 3 min ago (estimated)", or "data freshness unknown". */
export function freshnessLabel(freshness: Freshness | null | undefined): string {
  if (freshness?.state !== 'known' || freshness.ageMs === null) return 'data freshness unknown';
  return `data changed ${ago(freshness.ageMs)}${freshness.exact ? '' : ' (estimated)'}`;
}
