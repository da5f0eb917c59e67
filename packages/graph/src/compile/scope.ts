/**
 * What a Cypher variable stands for in the SQL being written: a vertex (its
 * key and properties), an edge, a path (its length), or a plain value.
 */
import { invalidCypher } from '../errors.js';

/** A variable bound to a vertex. */
export interface NodeBinding {
  readonly kind: 'node';
  readonly label: string;
  /** SQL for the vertex's key. */
  readonly key: string;
  /** SQL for one property (a column of the vertex table). */
  prop(name: string, position: number): string;
  /** SQL returning the keys the variable can take (`_k`), when cheaper than its whole vertex table. */
  readonly anchor?: string;
  /** SQL for the label, when the vertex may be of any label (a node on no relationship, without one). */
  readonly labelSql?: string;
  /** The alias of the vertex table row, when the variable is read from its own table in this SELECT. */
  readonly row?: { readonly alias: string; readonly table: string };
}

/** A variable bound to an edge. */
export interface EdgeBinding {
  readonly kind: 'edge';
  /** The edge types it may be. */
  readonly types: readonly string[];
  /** SQL for the edge's key when the edge type has one. */
  readonly key?: string;
  prop(name: string, position: number): string;
}

/** A variable bound to a path (`p = …`). */
export interface PathBinding {
  readonly kind: 'path';
  /** SQL for the path's length in relationships. */
  readonly length: string;
  /** SQL for the keys of its vertices, in order (only when the query asks `nodes(p)`). */
  readonly nodes?: string;
}

/** A variable bound to a value (`WITH x.age AS age`). */
export interface ValueBinding {
  readonly kind: 'value';
  readonly sql: string;
}

/** One variable. */
export type Binding = NodeBinding | EdgeBinding | PathBinding | ValueBinding;

/** Variables in scope, in the order they were bound (for `RETURN *`). */
export type Scope = Map<string, Binding>;

/**
 * The column of `properties` a Cypher property name means: the exact name,
 * else the only case-insensitive match (PostgreSQL folds unquoted names to
 * lower case, Cypher users write camelCase).
 */
export function resolveProperty(
  owner: string,
  properties: readonly string[] | undefined,
  name: string,
  position: number,
): string {
  if (!properties || properties.includes(name)) return name;
  const folded = properties.filter((p) => p.toLowerCase() === name.toLowerCase());
  if (folded.length === 1) return folded[0]!;
  throw invalidCypher(
    `${owner} has no property "${name}" (properties: ${properties.join(', ')})`,
    position,
    '42703',
  );
}
