/**
 * A cached plan's rendered SQL for one "shape" of parameters, so a hit does
 * not render (copy, re-bind, deparse) the statement again.
 *
 * The planner substitutes each `$n` by a constant and the dialect turns the
 * constants back into bound parameters; which SQL text comes out depends on
 * the kind of each constant (an int4, an int8, a string, NULL), not on its
 * value — and for those kinds the bound value is the parameter itself. A
 * template is made from two renders: the statement with the caller's
 * parameters and with probe values of the same kinds but different values.
 * Only if both give the same SQL, and every bound parameter is either the
 * same in both (a literal of the statement) or exactly the caller's and the
 * probe's value of one `$n`, is the template kept; otherwise the statement
 * keeps being rendered each time.
 */
import type { ScalarValue } from '@spoke/core';
import { sameValues } from './same-values.js';

/** The kind of a parameter value whose rendering the template can reproduce; `undefined`: not reproducible. */
type Shape = 'n' | 'i' | 'b' | 's';

/** One bound parameter of the rendered statement: a constant of the statement, or the value of `$(param + 1)`. */
type Slot = { readonly value: ScalarValue } | { readonly param: number };

/** The rendered SQL and where its bound parameters come from. */
export interface RenderTemplate {
  readonly sql: string;
  readonly slots: readonly Slot[];
}

/** A rendered statement. */
export interface Rendered {
  readonly sql: string;
  readonly params: readonly ScalarValue[];
}

function shapeOf(value: ScalarValue): Shape | undefined {
  if (value === null) return 'n';
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && Math.abs(value) < 2 ** 31 ? 'i' : undefined;
  if (typeof value === 'bigint') return value >= -(2n ** 63n) && value < 2n ** 63n ? 'b' : undefined;
  // A NUL cannot be sent to PostgreSQL: rendering refuses it, so it is never templated.
  if (typeof value === 'string') return value.includes('\u0000') ? undefined : 's';
  return undefined;
}

/** The shapes of `params` as one key, or `undefined` when one of them has no template. */
export function shapeKey(params: readonly ScalarValue[]): string | undefined {
  let key = '';
  for (const p of params) {
    const shape = shapeOf(p);
    if (shape === undefined) return undefined;
    key += shape;
  }
  return key;
}

/** Values of the same shapes as `params`, each different from the caller's and from each other. */
function probes(params: readonly ScalarValue[]): ScalarValue[] {
  return params.map((p, i) => {
    switch (shapeOf(p)) {
      case 'i': {
        const v = 1_234_567 + i * 1000;
        return p === v ? v + 1 : v;
      }
      case 'b': {
        const v = 9_000_000_000_123n + BigInt(i) * 1000n;
        return p === v ? v + 1n : v;
      }
      case 's': {
        const v = `\u0001probe ${i}`;
        return p === v ? `${v}.` : v;
      }
      default:
        return null;
    }
  });
}

/**
 * The template of a statement for the shapes of `params`, from `rendered`
 * (its render with `params`) and a second render with probe values;
 * `undefined` when the SQL depends on more than the shapes.
 */
export function makeTemplate(
  params: readonly ScalarValue[],
  rendered: Rendered,
  render: (params: readonly ScalarValue[]) => Rendered,
): RenderTemplate | undefined {
  const probe = probes(params);
  let other: Rendered;
  try {
    other = render(probe);
  } catch {
    return undefined;
  }
  if (other.sql !== rendered.sql || other.params.length !== rendered.params.length) return undefined;
  const slots: Slot[] = [];
  for (let j = 0; j < rendered.params.length; j++) {
    const mine = rendered.params[j]!;
    const theirs = other.params[j]!;
    if (sameValues([mine], [theirs])) {
      slots.push({ value: mine });
      continue;
    }
    const n = probe.findIndex((p) => p !== null && p === theirs);
    if (n < 0 || params[n] !== mine) return undefined;
    slots.push({ param: n });
  }
  return { sql: rendered.sql, slots };
}

/** The statement rendered from `template` with `params` (of the template's shapes). */
export function fromTemplate(template: RenderTemplate, params: readonly ScalarValue[]): Rendered {
  return {
    sql: template.sql,
    params: template.slots.map((slot) => ('param' in slot ? params[slot.param]! : slot.value)),
  };
}
