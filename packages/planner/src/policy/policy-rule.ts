/**
 * The security policy model: one {@link PolicyRule} per YAML entry, attached
 * to a source, schema, table or column (its `on` path), applying to some
 * roles. The path is matched against a concrete table lazily because
 * `crm.customers` may name a schema or a table in the default schema, and
 * only the catalog can tell.
 */
import type { QueryContext } from '@spoke/core';
import type { AstNode } from '../parse/ast.js';

/** What a rule does. */
export type RuleKind =
  | 'deny'
  | 'allow'
  | 'aggregate_only'
  | 'mask'
  | 'row_filter'
  | 'read_only'
  | 'append_only'
  | 'never_upload'
  | 'require_tls';

/** How a masked column is shown. */
export type MaskKind = 'redact' | 'email' | 'partial' | 'hash' | 'null';

/** One validated rule. */
export interface PolicyRule {
  /** The name users see in `POLICY_DENIED` errors and EXPLAIN's "Policy applied". */
  readonly name: string;
  /** The `on` path split at dots: `[source]`, `[source, schema|table]`, … up to `[source, schema, table, column]`. */
  readonly on: readonly string[];
  readonly kind: RuleKind;
  /** Roles the rule applies to; `*` is everyone. */
  readonly roles: readonly string[];
  /** Roles the rule never applies to (wins over `roles`). */
  readonly exceptRoles: readonly string[];
  /** For `mask`. */
  readonly mask?: MaskKind;
  /** For `mask(email, phone)` on a table: the columns masked (otherwise every column under `on`). */
  readonly columns?: readonly string[];
  /** For `mask` with `hash`: a secret prefix mixed into the hash. */
  readonly salt?: string;
  /** For `mask` with `partial`: how many trailing characters stay visible. */
  readonly keepLast?: number;
  /** For `aggregate_only`: groups with fewer source rows are dropped. */
  readonly minGroupSize?: number;
  /** For `row_filter`: the predicate as written, and parsed (a WHERE clause tree). */
  readonly predicate?: { readonly sql: string; readonly tree: AstNode };
}

/** True when `rule` applies to the caller's roles. */
export function appliesTo(rule: PolicyRule, context: Pick<QueryContext, 'roles'>): boolean {
  const roles = new Set(context.roles.map((r) => r.toLowerCase()));
  if (rule.exceptRoles.some((r) => roles.has(r.toLowerCase()))) return false;
  return rule.roles.some((r) => r === '*' || roles.has(r.toLowerCase()));
}

/** A table as rules see it. `schema` absent or equal to `defaultSchema` lets `source.table` paths match it. */
export interface TableRef {
  readonly source: string;
  readonly schema?: string;
  readonly table: string;
  /** The source's default schema; when unknown, `source.table` paths match the table in any schema. */
  readonly defaultSchema?: string;
}

/** Where a rule's path meets a table: 0 source, 1 schema, 2 table, 3 one of its columns. */
export interface PathMatch {
  readonly level: 0 | 1 | 2 | 3;
  /** For level 3: the column (lower case). */
  readonly column?: string;
}

const eq = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Whether `path` covers `table`. Names compare case-insensitively, as the
 * binder resolves them. When a path reads both ways (`crm.main` naming a
 * schema and a table), the broader reading wins: a rule then covers more,
 * never less.
 */
export function matchPath(path: readonly string[], t: TableRef): PathMatch | undefined {
  const [a, b, c, d] = path;
  if (!eq(a, t.source)) return undefined;
  const inDefault = t.schema === undefined || t.defaultSchema === undefined || eq(t.schema, t.defaultSchema);
  switch (path.length) {
    case 1:
      return { level: 0 };
    case 2:
      if (eq(b, t.schema)) return { level: 1 };
      if (eq(b, t.table) && inDefault) return { level: 2 };
      return undefined;
    case 3:
      if (eq(b, t.schema) && eq(c, t.table)) return { level: 2 };
      if (eq(b, t.table) && inDefault) return { level: 3, column: c!.toLowerCase() };
      return undefined;
    case 4:
      if (eq(b, t.schema) && eq(c, t.table)) return { level: 3, column: d!.toLowerCase() };
      return undefined;
    default:
      return undefined;
  }
}
