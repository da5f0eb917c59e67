/**
 * What the plan cache keeps of a statement: the parsed, checked,
 * policy-rewritten and bound SELECT that goes whole to one SQL source, and
 * what it was bound against — so that a later execution only re-checks the
 * tables and renders the statement with its own parameters.
 */
import type { SpokeConnector, SqlCapabilities } from '@spoke/core';
import type { BoundQuery, TableBinding } from '../binder/scope.js';
import type { InMemoryResidual } from '../executor/in-memory-residual.js';
import type { AstNode } from '../parse/ast.js';
import type { QueryPolicy } from '../policy-hook.js';
import type { JoinKeyEdge } from '../pushdown/plan-join-keys.js';
import type { ReadSchedule } from '../strategies/plan-reads.js';
import type { RenderTemplate } from './render-template.js';

/** A table a cached plan reads, as the statement names it and as it was resolved. */
export interface CachedTable {
  /** The name as written: `catalog.schema.name` is `source.schema.table`, `schema.name` is `source.table`. */
  readonly written: { readonly catalog?: string; readonly schema?: string; readonly name: string };
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  readonly connector: SpokeConnector;
  /** {@link schemaSignature} of the columns it was bound with. */
  readonly signature: string;
}

/** A SELECT pushed down whole to one SQL source, ready to render with any parameters. */
export interface CachedPlan {
  readonly kind: 'source-sql';
  /** The bound SELECT body; its table references are `bindings[i].rangeVar`. Never mutated after caching. */
  readonly stmt: AstNode;
  readonly bindings: readonly TableBinding[];
  readonly source: string;
  readonly connector: SpokeConnector;
  /** The dialect's capabilities the plan was checked against (a dialect may change them as it learns the source). */
  readonly capabilities: SqlCapabilities;
  readonly appliedRules: readonly string[];
  /** The highest `$n` in the statement. */
  readonly maxParam: number;
  readonly tables: readonly CachedTable[];
  /** The policies the plan was made under. */
  readonly policy: QueryPolicy | undefined;
  /** The rendered statement by parameter shapes (`null`: that shape is rendered each time). */
  readonly templates: Map<string, RenderTemplate | null>;
  /** Present on a plan shared by statements that differ only in literals (see literal-shape.ts). */
  readonly literals?: LiteralSlots;
}

/**
 * Where a literal-shared plan's constants go: the statement holds `$n` for
 * them (numbered after the caller's parameters); a render puts each
 * statement's own constant nodes there.
 */
export interface LiteralSlots {
  /** The caller's parameters the statement was planned with (the constants are `$(paramCount + 1)`…). */
  readonly paramCount: number;
  /** The constants' kinds (see literal-shape.ts). */
  readonly kinds: string;
  /** Each place in the bound statement holding a constant's `$n`: the holder, its key, the constant's index. */
  readonly sites: readonly {
    readonly holder: AstNode;
    readonly key: string | number;
    readonly slot: number;
  }[];
}

/**
 * A federated SELECT kept for its text (see federated-plan.ts): the
 * statement bound once and never rewritten, from which each execution plans
 * its scans with its own parameters, and the schedule and residual the
 * planner chose, reused while the scans keep their shape and estimates.
 */
export interface CachedFederatedPlan {
  readonly kind: 'federated';
  /** The policy-rewritten SELECT as bound; its scans are planned from it at each execution. Never mutated. */
  readonly bound: BoundQuery;
  readonly unionLimits: ReadonlyMap<AstNode, AstNode>;
  /** The join edges among `bound`'s bindings. */
  readonly joinKeys: readonly JoinKeyEdge[];
  /** Per scan, in order: its relation and the origin and support of each filter offered to it. */
  readonly shape: readonly string[];
  /** Per scan, in order: the rows the schedule was chosen with (`undefined`: unknown). */
  readonly estimatedRows: readonly (number | undefined)[];
  /** The planner's schedule; its reads' scans are replaced at each execution, their edges name `bound`'s bindings. */
  readonly schedule: ReadSchedule;
  /** The residual DuckDB runs: its text, which of the statement's `$n` it binds, its in-memory form. */
  readonly residual: {
    readonly sql: string;
    readonly paramNumbers: readonly number[];
    readonly inMemory?: InMemoryResidual;
  };
  readonly appliedRules: readonly string[];
  /** The highest `$n` in the statement. */
  readonly maxParam: number;
  readonly tables: readonly CachedTable[];
  /** The policies the plan was made under. */
  readonly policy: QueryPolicy | undefined;
  /** When it was planned (`Date.now()`): it is planned again after `PlanCacheOptions.federatedMaxAgeMs`. */
  readonly plannedAt: number;
  /**
   * Executions it answered, and executions planned from scratch because their scans or estimates moved —
   * counted over the plans that replaced one another for the statement.
   */
  reused: number;
  drifted: number;
}
