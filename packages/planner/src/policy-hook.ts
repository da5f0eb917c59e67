import type { QueryContext } from '@spoke/core';
import type { CatalogVisibility, SourceRegistry } from './binder/source-registry.js';
import type { CatalogTable } from './engine-api.js';
import type { AstNode } from './parse/ast.js';

/**
 * Security policies as a planning input: before binding, a policy rewrites
 * the SELECT for the caller (masking, row filters, hiding what they may not
 * see) or refuses it with `POLICY_DENIED`. Everything after — push-down,
 * whole sub-query push-down, the residual — plans the rewritten query, so a
 * rule holds whichever source answers.
 */
export interface QueryPolicy {
  /** Rewrites `stmt` (a `SelectStmt` body) in place; returns the names of the rules it applied. */
  apply(stmt: AstNode, input: PolicyInput): Promise<PolicyOutcome>;
  /** The catalog as the caller may see it (denied tables and columns removed). Default: all of it. */
  visibleCatalog?(
    tables: readonly CatalogTable[],
    context: QueryContext,
    registry: SourceRegistry,
  ): readonly CatalogTable[];
  /** What the caller may see of the sources: hidden ones answer as missing ones in every lookup. Default: everything. */
  visibility?(context: QueryContext, registry: SourceRegistry): CatalogVisibility;
  /** Equal for callers who see the same catalog, so a system catalog can be shared between them. */
  visibilityKey?(context: QueryContext): string;
  /**
   * The error a caller receives when a query the policy shaped (`appliedRules`
   * non-empty) fails while running: nothing of a hidden row, a masked value or
   * an aggregate-only table's single values may survive in it.
   */
  redactError?(error: unknown, appliedRules: readonly string[]): unknown;
  /**
   * Refuses a write the caller may not make (`read_only`, `append_only`,
   * `never_upload` on a table read, a denied target) with `POLICY_DENIED`;
   * returns the rules that allowed it with a restriction.
   */
  checkWrite?(
    kind: WriteKind,
    target: WriteTarget,
    tablesRead: readonly WriteTarget[],
    context: QueryContext,
  ): PolicyOutcome;
  /**
   * Whether values of `table` — rows, or anything derived from them such as
   * the join keys the optimizer sends as `IN (…)` lists — may be sent to
   * the source `toSource` while answering `context`'s query (`never_upload`
   * forbids it for any other source). Default: yes.
   */
  mayShip?(table: WriteTarget, toSource: string, context: QueryContext): boolean;
  /**
   * Whether `table`'s rows may be uploaded as they are to `toSource` (a
   * relation the statement joins there): only when no rule has to act on
   * them first here — `never_upload`, masks, `aggregate_only`, row filters —
   * and, for `require_tls` tables, only over an encrypted link
   * (`encryptedLink`). Default: {@link QueryPolicy.mayShip}'s answer.
   */
  mayUpload?(table: WriteTarget, toSource: string, encryptedLink: boolean, context: QueryContext): boolean;
}

/** The kinds of write a statement performs (index and maintenance statements count as `update`). */
export type WriteKind = 'insert' | 'update' | 'delete' | 'create';

/** A table written or read by a write statement. */
export interface WriteTarget {
  readonly source: string;
  readonly schema: string;
  readonly table: string;
}

/** What a policy may consult. */
export interface PolicyInput {
  readonly registry: SourceRegistry;
  readonly context: QueryContext;
  readonly signal: AbortSignal;
}

/** The rules a policy applied to one statement (shown by EXPLAIN, written to the audit log). */
export interface PolicyOutcome {
  readonly appliedRules: readonly string[];
  /**
   * True when the rewrite put in row filters. Such a statement is not sent
   * whole to one source: a source that flattens the filter's sub-select may
   * evaluate the caller's conditions on hidden rows first (an error there
   * would tell the caller something about a row they may not see). Each
   * filtered table is still read with its filter pushed down.
   */
  readonly rowFiltered?: boolean;
}
