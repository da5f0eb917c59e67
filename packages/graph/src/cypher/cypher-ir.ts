/**
 * The pattern IR: what the compiler needs of a Cypher query, independent of
 * the parser that produced it. Every node keeps the text it came from (for
 * column names and error messages) and its 1-based position in the query.
 */

/** Where a construct stands in the query text. */
export interface SourceSpan {
  /** The query text of the construct. */
  readonly text: string;
  /** 1-based character offset of its first character. */
  readonly position: number;
}

/** A Cypher expression. */
export type CypherExpr =
  | (SourceSpan & { readonly kind: 'literal'; readonly value: string | number | boolean | null })
  | (SourceSpan & { readonly kind: 'param'; readonly name: string })
  | (SourceSpan & { readonly kind: 'variable'; readonly name: string })
  | (SourceSpan & { readonly kind: 'property'; readonly target: CypherExpr; readonly key: string })
  | (SourceSpan & {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: CypherExpr;
      readonly right: CypherExpr;
    })
  | (SourceSpan & { readonly kind: 'not'; readonly operand: CypherExpr })
  | (SourceSpan & { readonly kind: 'negate'; readonly operand: CypherExpr })
  | (SourceSpan & { readonly kind: 'isNull'; readonly negated: boolean; readonly operand: CypherExpr })
  | (SourceSpan & {
      readonly kind: 'call';
      /** Lower-cased function name. */
      readonly name: string;
      readonly distinct: boolean;
      readonly args: readonly CypherExpr[];
    })
  | (SourceSpan & { readonly kind: 'countStar' })
  | (SourceSpan & { readonly kind: 'list'; readonly items: readonly CypherExpr[] })
  | (SourceSpan & {
      /** `EXISTS { … }`, a pattern used as a predicate, or `COUNT { … }`. */
      readonly kind: 'patternSubquery';
      readonly mode: 'exists' | 'count';
      readonly patterns: readonly PathPattern[];
      readonly where?: CypherExpr;
    })
  | (SourceSpan & {
      readonly kind: 'case';
      readonly operand?: CypherExpr;
      readonly whens: readonly { readonly when: CypherExpr; readonly result: CypherExpr }[];
      readonly otherwise?: CypherExpr;
    });

/** Binary operators, as Cypher spells them. */
export type BinaryOp =
  | 'OR'
  | 'XOR'
  | 'AND'
  | '='
  | '<>'
  | '<'
  | '>'
  | '<='
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | 'IN'
  | 'STARTS WITH'
  | 'ENDS WITH'
  | 'CONTAINS'
  | '=~';

/** `(a:Person {name: 'x'})`. */
export interface NodePattern extends SourceSpan {
  readonly variable?: string;
  /** At most one label is accepted by the compiler; the IR keeps what was written. */
  readonly labels: readonly string[];
  readonly properties: readonly (readonly [string, CypherExpr])[];
  readonly where?: CypherExpr;
}

/** `-[r:KNOWS*1..3 {since: 2020}]->`. */
export interface RelationshipPattern extends SourceSpan {
  readonly variable?: string;
  /** Alternatives `:A|B`; empty means any type. */
  readonly types: readonly string[];
  /** `out` is `-->`, `in` is `<--`, `both` is `--` (either way). */
  readonly direction: 'out' | 'in' | 'both';
  /** Present for variable-length relationships; `max` absent means unbounded. */
  readonly length?: { readonly min: number; readonly max?: number };
  readonly properties: readonly (readonly [string, CypherExpr])[];
  readonly where?: CypherExpr;
}

/** One comma-separated part of a MATCH: `p = (a)-[r]->(b)<-[s]-(c)`. */
export interface PathPattern extends SourceSpan {
  readonly variable?: string;
  /** `shortestPath(…)` / `allShortestPaths(…)`. */
  readonly shortest?: 'shortest' | 'all';
  /** GQL path mode for variable-length parts; Cypher's default is TRAIL (no relationship twice). */
  readonly mode: 'TRAIL' | 'ACYCLIC' | 'WALK';
  /** `nodes.length === relationships.length + 1`. */
  readonly nodes: readonly NodePattern[];
  readonly relationships: readonly RelationshipPattern[];
}

/** `MATCH` / `OPTIONAL MATCH`. */
export interface MatchClause extends SourceSpan {
  readonly kind: 'match';
  readonly optional: boolean;
  readonly patterns: readonly PathPattern[];
  readonly where?: CypherExpr;
}

/** One `expr AS alias` of a WITH or RETURN. */
export interface ProjectionItem extends SourceSpan {
  readonly expr: CypherExpr;
  readonly alias?: string;
}

/** The body shared by WITH and RETURN. */
export interface Projection extends SourceSpan {
  readonly distinct: boolean;
  /** `WITH *` / `RETURN *` (items then lists only the extra ones). */
  readonly star: boolean;
  readonly items: readonly ProjectionItem[];
  readonly orderBy: readonly { readonly expr: CypherExpr; readonly descending: boolean }[];
  readonly skip?: CypherExpr;
  readonly limit?: CypherExpr;
}

/** `WITH … [WHERE …]`. */
export interface WithClause extends SourceSpan {
  readonly kind: 'with';
  readonly projection: Projection;
  readonly where?: CypherExpr;
}

/** `RETURN …`. */
export interface ReturnClause extends SourceSpan {
  readonly kind: 'return';
  readonly projection: Projection;
}

/** `UNWIND list AS x`: one row per item (a list literal or a list parameter). */
export interface UnwindClause extends SourceSpan {
  readonly kind: 'unwind';
  readonly list: CypherExpr;
  readonly variable: string;
}

/** The clauses the subset accepts. */
export type CypherClause = MatchClause | WithClause | ReturnClause | UnwindClause;

/** One read query: clauses in order, ending with RETURN. */
export interface CypherQuery {
  readonly clauses: readonly CypherClause[];
  /** `UNION` / `UNION ALL` with further queries. */
  readonly unions: readonly { readonly all: boolean; readonly query: CypherQuery }[];
}
