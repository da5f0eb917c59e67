/**
 * Join paths for the prompt. The federated catalog carries no key
 * constraints (most sources in a lakehouse declare none), so keys are
 * inferred from names, the conventions schemas actually use:
 *
 * - `orders.customer_id` → `customers.id` (`<table>_id` or `<singular>_id` to a table's `id`);
 * - `o_custkey` ↔ `c_custkey` (TPC-H style: the same key name after a short table prefix).
 *
 * Each path is a hint the model may use; the planner still checks the SQL.
 */
import type { GroundedTable } from './grounded-catalog.js';

/** One suggested join: `left.column = right.column`. */
export interface JoinPath {
  readonly left: string;
  readonly right: string;
}

function singular(name: string): string {
  if (name.endsWith('ies')) return `${name.slice(0, -3)}y`;
  if (name.endsWith('ses')) return name.slice(0, -2);
  if (name.endsWith('s')) return name.slice(0, -1);
  return name;
}

/** `o_custkey` → `custkey`; names without a short prefix stay as they are. */
function unprefixed(column: string): string {
  const m = /^[a-z]{1,2}_(.+)$/.exec(column);
  return m ? m[1]! : column;
}

/** Every join path between `tables` that their column names suggest. */
export function inferJoinPaths(tables: readonly GroundedTable[]): JoinPath[] {
  const out = new Map<string, JoinPath>();
  const add = (a: string, b: string) => {
    const [left, right] = a < b ? [a, b] : [b, a];
    out.set(`${left}=${right}`, { left, right });
  };
  const col = (t: GroundedTable, c: string) => `${t.qualified}.${c}`;
  for (const target of tables) {
    const id = target.columns.find((c) => c.name.toLowerCase() === 'id');
    const names = new Set([target.name.toLowerCase(), singular(target.name.toLowerCase())]);
    for (const other of tables) {
      if (other === target) continue;
      for (const c of other.columns) {
        const lower = c.name.toLowerCase();
        if (id && lower.endsWith('_id') && names.has(lower.slice(0, -3)))
          add(col(other, c.name), col(target, id.name));
      }
    }
  }
  // Prefix-style keys: a key column of one table (`c_custkey`) shared by name with another (`o_custkey`).
  const keyed = new Map<string, { table: GroundedTable; column: string }[]>();
  for (const t of tables)
    for (const c of t.columns) {
      const key = unprefixed(c.name.toLowerCase());
      if (key === c.name.toLowerCase() || !/(key|_id)$/.test(key)) continue;
      keyed.set(key, [...(keyed.get(key) ?? []), { table: t, column: c.name }]);
    }
  for (const group of keyed.values())
    for (let i = 0; i < group.length; i++)
      for (let j = i + 1; j < group.length; j++)
        if (group[i]!.table !== group[j]!.table)
          add(col(group[i]!.table, group[i]!.column), col(group[j]!.table, group[j]!.column));
  return [...out.values()];
}
