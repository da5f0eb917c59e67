/**
 * The {@link QueryPolicy} built from the `policies:` configuration: rewrites
 * each SELECT for the caller before binding (see `rewrite-query.ts`) and
 * answers the questions the rest of the gateway asks of the same rules
 * (catalog visibility, writes).
 */
import type { QueryContext } from '@spoke/core';
import type { CatalogVisibility, SourceRegistry } from '../binder/source-registry.js';
import type { CatalogTable } from '../engine-api.js';
import type { AstNode } from '../parse/ast.js';
import type { PolicyInput, PolicyOutcome, QueryPolicy, WriteKind, WriteTarget } from '../policy-hook.js';
import { checkWrite } from './check-write.js';
import { filterCatalog } from './filter-catalog.js';
import { parsePolicyConfig } from './policy-config.js';
import { appliesTo, type PolicyRule, type TableRef } from './policy-rule.js';
import { redactErrorValues } from './redact-error.js';
import { rewriteQuery } from './rewrite-query.js';
import { type TableRules, tableRules } from './table-rules.js';

/** Security policies as the planner applies them. */
export class SecurityPolicy implements QueryPolicy {
  constructor(readonly rules: readonly PolicyRule[]) {}

  visibleCatalog(
    tables: readonly CatalogTable[],
    context: QueryContext,
    registry: SourceRegistry,
  ): readonly CatalogTable[] {
    return filterCatalog(tables, this, context, registry);
  }

  /**
   * What `context` may see of the sources: a `deny` on a source, schema or
   * table hides it from every lookup (the engine resolves the caller's
   * queries, writes and time travel through this view, so a denied table
   * answers exactly as a missing one).
   */
  visibility(context: QueryContext, registry: SourceRegistry): CatalogVisibility {
    const denied = (source: string, schema: string, table: string) => {
      const defaultSchema = registry.sources.get(source)?.catalog.defaultSchema;
      const ref = { source, schema, table, ...(defaultSchema !== undefined ? { defaultSchema } : {}) };
      return this.tableRules(ref, context).denied !== undefined;
    };
    return {
      source: (source) =>
        !this.rules.some(
          (r) =>
            r.kind === 'deny' &&
            r.on.length === 1 &&
            r.on[0]!.toLowerCase() === source.toLowerCase() &&
            appliesTo(r, context),
        ),
      // A table name no rule can name: only a deny on the source or the schema matches it.
      schema: (source, schema) => !denied(source, schema, '\u0000'),
      table: (source, schema, table) => !denied(source, schema, table),
    };
  }

  redactError(error: unknown, appliedRules: readonly string[] = []): unknown {
    return redactErrorValues(error, appliedRules);
  }

  checkWrite(
    kind: WriteKind,
    target: WriteTarget,
    tablesRead: readonly WriteTarget[],
    context: QueryContext,
  ): PolicyOutcome {
    return checkWrite(kind, target, tablesRead, this, context);
  }

  mayShip(table: WriteTarget, toSource: string, context: QueryContext): boolean {
    if (table.source.toLowerCase() === toSource.toLowerCase()) return true;
    return this.tableRules(table, context).neverUpload.length === 0;
  }

  mayUpload(table: WriteTarget, toSource: string, encryptedLink: boolean, context: QueryContext): boolean {
    const rules = this.tableRules(table, context);
    return (
      !rules.denied &&
      rules.neverUpload.length === 0 &&
      !rules.hasColumnRules &&
      rules.aggregateOnly.length === 0 &&
      rules.rowFilters.length === 0 &&
      (encryptedLink || rules.requireTls.length === 0)
    );
  }

  async apply(stmt: AstNode, input: PolicyInput): Promise<PolicyOutcome> {
    if (this.rules.length === 0) return { appliedRules: [] };
    return rewriteQuery(stmt, this.rules, input);
  }

  /** The rules in force for `context` on `table`. */
  tableRules(table: TableRef, context: Pick<QueryContext, 'roles'>): TableRules {
    return tableRules(this.rules, table, context);
  }

  /**
   * A key equal for callers who see the same catalog (the same deny, mask
   * and allow rules apply to them): one shadow system catalog per key is
   * enough.
   */
  visibilityKey(context: Pick<QueryContext, 'roles'>): string {
    return JSON.stringify(
      this.rules
        .filter(
          (r) => (r.kind === 'deny' || r.kind === 'mask' || r.kind === 'allow') && appliesTo(r, context),
        )
        .map((r) => r.name)
        .sort(),
    );
  }
}

/**
 * Builds the policy from the `policies:` value of the configuration (a list
 * of rules, or a mapping from object to rule). Throws `INVALID_CONFIG`
 * naming the bad key.
 */
export async function createSecurityPolicy(policies: unknown, path = 'policies'): Promise<SecurityPolicy> {
  return new SecurityPolicy(await parsePolicyConfig(policies, path));
}
