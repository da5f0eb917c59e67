import type { AstNode } from '../parse/ast.js';
import type { ResolvedTable } from './source-registry.js';

/** One use of a source table in the query (the same table twice is two bindings). */
export interface TableBinding extends ResolvedTable {
  /** Sequence number; the DuckDB relation holding its rows is `__spoke_<id>`. */
  readonly id: number;
  /** The name the query uses for it: its alias, else its table name. */
  readonly alias: string;
  /** The RangeVar body in the parse tree, rewritten before the residual runs. */
  readonly rangeVar: AstNode;
  /** Columns the query reads (exact schema names), or `all`. */
  usedColumns: Set<string> | 'all';
  /** On the null-supplying side of an outer join: its WHERE conjuncts must not move below the join. */
  nullable: boolean;
  /** The SELECT scope it belongs to. */
  readonly scope: Scope;
}

/** A name visible in a SELECT's FROM clause. */
export interface ScopeEntry {
  readonly name: string;
  /** Set for source tables. */
  readonly binding?: TableBinding;
  /** Known column names (tables, sub-queries with simple select lists); `undefined` when unknown. */
  readonly columns?: readonly string[];
}

/** The FROM-clause names of one SELECT, with a link to the enclosing query's scope (for correlation). */
export class Scope {
  readonly entries: ScopeEntry[] = [];
  /** Columns merged by `JOIN … USING (…)` or NATURAL joins: unqualified, they are not ambiguous. */
  readonly usingColumns = new Set<string>();
  /** Output column names (select-list aliases), which ORDER BY and GROUP BY may name. */
  readonly outputNames = new Set<string>();

  constructor(
    readonly stmt: AstNode,
    readonly parent: Scope | undefined,
  ) {}

  /** The entry named `name` in this scope only (exact, then case-insensitive). */
  entry(name: string): ScopeEntry | undefined {
    return (
      this.entries.find((e) => e.name === name) ??
      this.entries.find((e) => e.name.toLowerCase() === name.toLowerCase())
    );
  }
}

/** The result of binding a query: every source table it reads, and whether it touches the system catalog. */
export interface BoundQuery {
  readonly bindings: TableBinding[];
  /** Scopes by SELECT body, for push-down analysis. */
  readonly scopes: Map<AstNode, Scope>;
  /** Relations of pg_catalog / information_schema the query reads. */
  readonly systemRelations: string[];
  /** True when some FROM item is neither a source table nor a CTE (a table function, VALUES…). */
  readonly hasOtherRelations: boolean;
}
