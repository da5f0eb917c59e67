/**
 * Which edge tables a relationship pattern can match, and the SQL relation
 * that reads them oriented along the pattern: columns `cur` (the end on the
 * pattern's left) and `next` (the end on its right), an identity for the
 * "no relationship twice" rule, and the referenced properties.
 */

import type { RelationshipPattern } from '../cypher/cypher-ir.js';
import { invalidCypher, unsupportedCypher } from '../errors.js';
import type { EdgeDefinition, GraphDefinition } from '../graph-definition.js';
import { resolveProperty } from './scope.js';
import { column, quoteIdent, quoteLiteral, quoteTable } from './sql-text.js';

/** One edge type read in one direction. */
export interface Orientation {
  readonly type: string;
  readonly edge: EdgeDefinition;
  /** True when the pattern's left node is the edge's target. */
  readonly reversed: boolean;
}

/** The edge types and directions a relationship pattern can match between two labels (undefined: not known yet). */
export function orientations(
  graph: GraphDefinition,
  rel: RelationshipPattern,
  left: string | undefined,
  right: string | undefined,
): Orientation[] {
  for (const t of rel.types)
    if (!graph.edges[t])
      throw invalidCypher(
        `no relationship type :${t} in the graph (types: ${Object.keys(graph.edges).join(', ') || 'none'})`,
        rel.position,
      );
  const types = rel.types.length > 0 ? rel.types : Object.keys(graph.edges);
  const out: Orientation[] = [];
  for (const type of types) {
    const edge = graph.edges[type]!;
    if (
      rel.direction !== 'in' &&
      (left === undefined || edge.from === left) &&
      (right === undefined || edge.to === right)
    )
      out.push({ type, edge, reversed: false });
    if (
      rel.direction !== 'out' &&
      (left === undefined || edge.to === left) &&
      (right === undefined || edge.from === right)
    )
      out.push({ type, edge, reversed: true });
  }
  return out;
}

/** An edge relation ready to join. */
export interface EdgeRelation {
  /** The FROM item, aliased. */
  readonly item: string;
  readonly alias: string;
  /** SQL for the end on the pattern's left / right. */
  readonly cur: string;
  readonly next: string;
  /** SQL expressions that together identify one edge (its type included when several are possible). */
  readonly identity: readonly string[];
  /** A single SQL value identifying an edge, for trails kept in arrays. */
  readonly identityValue: string;
  /** The edge's key when its single type has one. */
  readonly key?: string;
  readonly types: readonly string[];
  prop(name: string, position: number): string;
}

function identityColumns(edge: EdgeDefinition): string[] {
  return edge.key ? [edge.key] : [edge.source, edge.target];
}

/** One text value for a (source, target) pair: length-prefixed so no two pairs collide. */
function pairText(a: string, b: string): string {
  return `CAST(length(CAST(${a} AS TEXT)) AS TEXT) || ':' || CAST(${a} AS TEXT) || CAST(${b} AS TEXT)`;
}

/**
 * Builds the relation for `options`. A single orientation reads the table
 * itself (so the planner can push filters and joins to its source); several
 * (an undirected pattern, or several types) read a UNION ALL of them.
 */
export function edgeRelation(
  options: readonly Orientation[],
  alias: string,
  referenced: ReadonlySet<string>,
  variable: string | undefined,
): EdgeRelation {
  const types = [...new Set(options.map((o) => o.type))];
  if (options.length === 1) {
    const { edge, reversed, type } = options[0]!;
    const ids = identityColumns(edge).map((c) => column(alias, c));
    return {
      item: `${quoteTable(edge.table)} AS ${alias}`,
      alias,
      cur: column(alias, reversed ? edge.target : edge.source),
      next: column(alias, reversed ? edge.source : edge.target),
      identity: ids,
      identityValue: edge.key ? column(alias, edge.key) : pairText(ids[0]!, ids[1]!),
      ...(edge.key ? { key: column(alias, edge.key) } : {}),
      types,
      prop: (name, position) => column(alias, resolveProperty(`:${type}`, edge.properties, name, position)),
    };
  }
  if (types.length > 1 && referenced.size > 0)
    throw unsupportedCypher(
      `properties of \`${variable}\`, a relationship that may have several types (${types.join('|')})`,
    );
  const sameKeyKind = options.every((o) => !!o.edge.key) || options.every((o) => !o.edge.key);
  const allKeyed = options.every((o) => !!o.edge.key);
  const props = [...referenced].map((p) => {
    const edge = options[0]!.edge;
    return { name: p, column: resolveProperty(`:${types[0]}`, edge.properties, p, 0) };
  });
  const branches = options.map((o, i) => {
    const { edge, reversed, type } = o;
    const ids = identityColumns(edge);
    const cols = [
      `${quoteIdent(reversed ? edge.target : edge.source)} AS "_cur"`,
      `${quoteIdent(reversed ? edge.source : edge.target)} AS "_next"`,
      ...(allKeyed && sameKeyKind
        ? [`${quoteIdent(ids[0]!)} AS "_id1"`]
        : [`${quoteIdent(edge.source)} AS "_id1"`, `${quoteIdent(edge.target)} AS "_id2"`]),
      `${quoteLiteral(type)} AS "_type"`,
      ...props.map((p) => `${quoteIdent(p.column)} AS ${quoteIdent(`p.${p.name}`)}`),
    ];
    // An undirected pattern reads a table both ways; a self-loop must still match once.
    const twice = reversed && options.slice(0, i).some((p) => p.type === type && !p.reversed);
    return `SELECT ${cols.join(', ')} FROM ${quoteTable(edge.table)}${twice ? ` WHERE ${quoteIdent(edge.source)} <> ${quoteIdent(edge.target)}` : ''}`;
  });
  const identity = allKeyed ? [`${alias}."_id1"`] : [`${alias}."_id1"`, `${alias}."_id2"`];
  if (types.length > 1) identity.push(`${alias}."_type"`);
  const idText = allKeyed ? `${alias}."_id1"` : pairText(`${alias}."_id1"`, `${alias}."_id2"`);
  const singleKeyed = types.length === 1 && allKeyed;
  return {
    item: `(${branches.join('\n    UNION ALL ')}) AS ${alias}`,
    alias,
    cur: `${alias}."_cur"`,
    next: `${alias}."_next"`,
    identity,
    identityValue: types.length > 1 ? `${alias}."_type" || ':' || ${idText}` : idText,
    ...(singleKeyed ? { key: `${alias}."_id1"` } : {}),
    types,
    prop: (name, position) => {
      if (!referenced.has(name))
        throw invalidCypher(`property "${name}" was not collected`, position, 'XX000');
      return `${alias}.${quoteIdent(`p.${name}`)}`;
    },
  };
}
