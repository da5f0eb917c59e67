/**
 * Equality of rendered statement parameters, used once per cached plan to
 * check that the plan cache renders exactly what the engine's own planner
 * rendered before the plan is reused.
 */
import type { ScalarValue } from '@spoke/core';

/** True when `a` and `b` hold the same values of the same JavaScript types, in order. */
export function sameValues(a: readonly ScalarValue[], b: readonly ScalarValue[]): boolean {
  return a.length === b.length && a.every((v, i) => sameValue(v, b[i]!));
}

function sameValue(a: ScalarValue, b: ScalarValue): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== typeof b || typeof a !== 'object') return false;
  if (a instanceof Uint8Array)
    return b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  // Lists: compared by their JSON form, bigints as text.
  const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
  return json(a) === json(b);
}
