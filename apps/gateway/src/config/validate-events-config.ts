/**
 * The `events:` section: where access events go besides the live feed and
 * the counters, how many the bus holds, and how often sources are probed.
 *
 * ```yaml
 * events:
 *   file: events.jsonl   # one JSON line per source access (resolved against the config's directory)
 *   audit: true          # also into the audit trail, as lines with "type": "access"
 *   buffer: 10000        # events held for slow sinks at most; past it they are dropped and counted
 *   probe_interval: 10s  # health probe of each source
 *   probe_timeout: 5s
 *   freshness_interval: 60s  # how often a source is asked when its data last changed (after a probe)
 * ```
 */
import { isAbsolute, resolve } from 'node:path';
import {
  checkKeys,
  expectBoolean,
  expectDuration,
  expectInteger,
  expectMap,
  expectString,
} from './config-checks.js';

/** The validated `events:` section. */
export interface EventsConfig {
  /** Append access events to this file, one JSON line each. */
  readonly file?: string;
  /** Also write access events into the audit trail. */
  readonly audit: boolean;
  readonly buffer?: number;
  readonly probeIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  readonly freshnessIntervalMs?: number;
}

/** `events: { file, audit, buffer, probe_interval, probe_timeout, freshness_interval }`. */
export function eventsSection(value: unknown, baseDir: string): EventsConfig {
  const map = expectMap(value, 'events');
  checkKeys(
    map,
    ['file', 'audit', 'buffer', 'probe_interval', 'probe_timeout', 'freshness_interval'],
    'events',
  );
  const file = map.file === undefined ? undefined : expectString(map.file, 'events.file');
  return {
    ...(file !== undefined ? { file: isAbsolute(file) ? file : resolve(baseDir, file) } : {}),
    audit: map.audit === undefined ? false : expectBoolean(map.audit, 'events.audit'),
    ...(map.buffer !== undefined
      ? { buffer: expectInteger(map.buffer, 'events.buffer', 1, 10_000_000) }
      : {}),
    ...(map.probe_interval !== undefined
      ? { probeIntervalMs: expectDuration(map.probe_interval, 'events.probe_interval') }
      : {}),
    ...(map.probe_timeout !== undefined
      ? { probeTimeoutMs: expectDuration(map.probe_timeout, 'events.probe_timeout') }
      : {}),
    ...(map.freshness_interval !== undefined
      ? { freshnessIntervalMs: expectDuration(map.freshness_interval, 'events.freshness_interval') }
      : {}),
  };
}
