/**
 * The rules in force for one caller on one table: inheritance from source
 * to schema to table to column, where the most specific level holding a
 * rule for the caller decides a column, and at one level the most
 * restrictive rule wins.
 */
import type { QueryContext } from '@spoke/core';
import { baseTableName } from '../binder/time-travel.js';
import { appliesTo, type MaskKind, matchPath, type PolicyRule, type TableRef } from './policy-rule.js';

/** How one column is shown to the caller. */
export type ColumnEffect =
  | { readonly kind: 'visible'; readonly rule?: PolicyRule }
  | { readonly kind: 'deny'; readonly rule: PolicyRule }
  | { readonly kind: 'mask'; readonly mask: MaskKind; readonly rule: PolicyRule };

/** Everything the caller's rules say about one table. */
export interface TableRules {
  /** A deny on the table, its schema or its source: the table does not exist for the caller. */
  readonly denied?: PolicyRule;
  readonly aggregateOnly: readonly PolicyRule[];
  readonly rowFilters: readonly PolicyRule[];
  readonly readOnly: readonly PolicyRule[];
  readonly appendOnly: readonly PolicyRule[];
  readonly neverUpload: readonly PolicyRule[];
  /** `require_tls`: answered only to clients connected over TLS, and read only over encrypted links. */
  readonly requireTls: readonly PolicyRule[];
  /** The column's effect (names compare case-insensitively). */
  column(name: string): ColumnEffect;
  /** True when some column rule (deny, mask) applies to some column: reading needs a rewrite. */
  readonly hasColumnRules: boolean;
}

const MASK_STRENGTH: Readonly<Record<MaskKind, number>> = {
  hash: 1,
  partial: 2,
  email: 3,
  redact: 4,
  null: 5,
};

/** The mask a rule gives `column`: its `mask`, else `email` for e-mail-looking names and `redact` for the rest. */
export function maskFor(rule: PolicyRule, column: string): MaskKind {
  return rule.mask ?? (/mail/i.test(column) ? 'email' : 'redact');
}

/** The rules of `rules` that apply to `context` on `table`. */
export function tableRules(
  rules: readonly PolicyRule[],
  table: TableRef,
  context: Pick<QueryContext, 'roles'>,
): TableRules {
  // A past version (`t@v3`, see binder/time-travel.ts) is governed by the rules of its table.
  const named = { ...table, table: baseTableName(table.table) };
  const matched = rules
    .filter((r) => appliesTo(r, context))
    .map((rule) => ({ rule, match: matchPath(rule.on, named) }))
    .filter(
      (m): m is { rule: PolicyRule; match: NonNullable<ReturnType<typeof matchPath>> } =>
        m.match !== undefined,
    );
  const tableLevel = (kind: PolicyRule['kind']) =>
    matched.filter((m) => m.rule.kind === kind).map((m) => m.rule);
  const denied = matched.find((m) => m.rule.kind === 'deny' && m.match.level <= 2)?.rule;
  const columnRules = matched.filter(
    (m) =>
      (m.rule.kind === 'deny' && m.match.level === 3) || m.rule.kind === 'mask' || m.rule.kind === 'allow',
  );
  const cache = new Map<string, ColumnEffect>();
  return {
    ...(denied ? { denied } : {}),
    // Aggregate and row rules placed on a column still cover the whole table (the stricter reading).
    aggregateOnly: tableLevel('aggregate_only'),
    rowFilters: tableLevel('row_filter'),
    readOnly: tableLevel('read_only'),
    appendOnly: tableLevel('append_only'),
    neverUpload: tableLevel('never_upload'),
    requireTls: tableLevel('require_tls'),
    hasColumnRules: columnRules.some((m) => m.rule.kind !== 'allow'),
    column(name: string): ColumnEffect {
      const key = name.toLowerCase();
      const hit = cache.get(key);
      if (hit) return hit;
      let best: { level: number; effect: ColumnEffect; strength: number } | undefined;
      for (const { rule, match } of columnRules) {
        let level: number = match.level;
        if (match.level === 3 && match.column !== key) continue;
        if (rule.columns) {
          if (!rule.columns.some((c) => c.toLowerCase() === key)) continue;
          level = 3;
        }
        const effect: ColumnEffect =
          rule.kind === 'deny'
            ? { kind: 'deny', rule }
            : rule.kind === 'mask'
              ? { kind: 'mask', mask: maskFor(rule, name), rule }
              : { kind: 'visible', rule };
        const strength =
          effect.kind === 'deny' ? 10 : effect.kind === 'mask' ? MASK_STRENGTH[effect.mask] : 0;
        if (!best || level > best.level || (level === best.level && strength > best.strength))
          best = { level, effect, strength };
      }
      const effect = best?.effect ?? { kind: 'visible' };
      cache.set(key, effect);
      return effect;
    },
  };
}
