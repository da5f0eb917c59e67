/**
 * Graph definitions: which table holds each vertex label and each edge type,
 * as the gateway config's `graphs:` section spells them. The tables may sit in
 * different sources; the compiler only ever names them in SQL.
 */
import { ErrorCode, SpokeError } from '@spoke/core';

/** A vertex label: one row of `table` per vertex, identified by `key`. */
export interface VertexDefinition {
  /** `source.table` or `source.schema.table`, as SQL would name it. */
  readonly table: string;
  /** The column that identifies a vertex (unique within the table). */
  readonly key: string;
  /**
   * The columns usable as properties. Absent: every column (unknown to the
   * compiler, so a misspelt property is reported by the planner instead).
   * The gateway fills it in from the catalog at start-up.
   */
  readonly properties?: readonly string[];
}

/** An edge type: one row of `table` per edge, from the `from` vertex `source` to the `to` vertex `target`. */
export interface EdgeDefinition {
  readonly table: string;
  /** The column holding the key of the vertex the edge starts at. */
  readonly source: string;
  /** The column holding the key of the vertex the edge ends at. */
  readonly target: string;
  /** The vertex label of the start. */
  readonly from: string;
  /** The vertex label of the end. */
  readonly to: string;
  /**
   * A column that identifies an edge. Without one, an edge is identified by
   * its (source, target) pair, which is slower for variable-length trails.
   */
  readonly key?: string;
  /** As {@link VertexDefinition.properties}. */
  readonly properties?: readonly string[];
}

/** One property graph. */
export interface GraphDefinition {
  readonly vertices: Readonly<Record<string, VertexDefinition>>;
  readonly edges: Readonly<Record<string, EdgeDefinition>>;
  /**
   * The hop limit put on variable-length relationships written without an
   * upper bound (`*`, `*2..`): recursion needs one to end on large graphs.
   * Default {@link DEFAULT_MAX_HOPS}.
   */
  readonly maxHops?: number;
  /**
   * How variable-length relationships are compiled when the caller does not
   * say (`CompileCypherOptions.variableLength`). Not read from the config:
   * the gateway sets it at start-up from where the tables live
   * (`variableLengthFor`). Default `auto`.
   */
  readonly variableLength?: 'auto' | 'recursive';
}

/** The default {@link GraphDefinition.maxHops}. */
export const DEFAULT_MAX_HOPS = 8;

function configError(message: string, sqlstate?: string): SpokeError {
  return new SpokeError(
    ErrorCode.INVALID_CONFIG,
    message,
    sqlstate === undefined ? {} : { details: { sqlstate } },
  );
}

const TABLE_NAME = /^[^.\s"]+(\.[^.\s"]+){1,2}$/;

function text(where: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw configError(`${where} must be a non-empty string`);
  return value;
}

function stringList(where: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw configError(`${where} must be a list of column names`);
  return value as string[];
}

function only(where: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(value))
    if (!allowed.includes(k))
      throw configError(`${where}: unknown option "${k}" (expected one of ${allowed.join(', ')})`);
}

/**
 * Checks the shape of one graph definition (as read from YAML or JSON) and
 * returns it typed. Errors name the graph, the label and the option.
 */
export function parseGraphDefinition(name: string, raw: unknown): GraphDefinition {
  const where = `graphs.${name}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw configError(`${where} must be a mapping with vertices and edges`);
  const r = raw as Record<string, unknown>;
  only(where, r, ['vertices', 'edges', 'maxHops']);
  const vertices: Record<string, VertexDefinition> = {};
  const edges: Record<string, EdgeDefinition> = {};
  if (typeof r.vertices !== 'object' || r.vertices === null || Object.keys(r.vertices).length === 0)
    throw configError(`${where}.vertices must name at least one vertex label`);
  for (const [label, v] of Object.entries(r.vertices as Record<string, unknown>)) {
    const w = `${where}.vertices.${label}`;
    if (typeof v !== 'object' || v === null) throw configError(`${w} must be a mapping with table and key`);
    const o = v as Record<string, unknown>;
    only(w, o, ['table', 'key', 'properties']);
    const table = text(`${w}.table`, o.table);
    if (!TABLE_NAME.test(table))
      throw configError(`${w}.table must be source.table or source.schema.table (got "${table}")`);
    const properties = stringList(`${w}.properties`, o.properties);
    vertices[label] = { table, key: text(`${w}.key`, o.key), ...(properties ? { properties } : {}) };
  }
  for (const [type, e] of Object.entries((r.edges ?? {}) as Record<string, unknown>)) {
    const w = `${where}.edges.${type}`;
    if (typeof e !== 'object' || e === null)
      throw configError(`${w} must be a mapping with table, source, target, from and to`);
    const o = e as Record<string, unknown>;
    only(w, o, ['table', 'source', 'target', 'from', 'to', 'key', 'properties']);
    const table = text(`${w}.table`, o.table);
    if (!TABLE_NAME.test(table))
      throw configError(`${w}.table must be source.table or source.schema.table (got "${table}")`);
    const from = text(`${w}.from`, o.from);
    const to = text(`${w}.to`, o.to);
    for (const [k, label] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (!vertices[label])
        throw configError(
          `${w}.${k}: no vertex label "${label}" in ${where}.vertices (${Object.keys(vertices).join(', ')})`,
        );
    const properties = stringList(`${w}.properties`, o.properties);
    edges[type] = {
      table,
      source: text(`${w}.source`, o.source),
      target: text(`${w}.target`, o.target),
      from,
      to,
      ...(o.key !== undefined ? { key: text(`${w}.key`, o.key) } : {}),
      ...(properties ? { properties } : {}),
    };
  }
  let maxHops: number | undefined;
  if (r.maxHops !== undefined) {
    if (!Number.isInteger(r.maxHops) || (r.maxHops as number) < 1 || (r.maxHops as number) > 64)
      throw configError(`${where}.maxHops must be an integer from 1 to 64`);
    maxHops = r.maxHops as number;
  }
  return { vertices, edges, ...(maxHops !== undefined ? { maxHops } : {}) };
}

/** One column of a table, as {@link checkGraphAgainstCatalog} needs it. */
export interface GraphCatalogColumn {
  readonly name: string;
  /** The column's type as text (an Arrow type's `toString()`, e.g. `Int64`, `Utf8`). */
  readonly type: string;
}

/** Integer widths are interchangeable as keys; so are the string types. */
function typeFamily(type: string): string {
  const t = type.toLowerCase();
  if (/^u?int(8|16|32|64)?$|^int<|integer|bigint|smallint/.test(t)) return 'integer';
  if (/utf8|string|varchar|text/.test(t)) return 'text';
  if (/float|double|decimal|numeric/.test(t)) return 'number';
  return t;
}

/**
 * Checks a graph against the tables it names: each table exists, each named
 * column exists, and each edge's source and target columns have the type of
 * the key they point at. Returns the definition with every vertex's and edge's
 * `properties` filled in from the table's columns (so the compiler can report
 * a misspelt property and resolve names case-insensitively).
 *
 * Errors carry PostgreSQL's SQLSTATE in `details.sqlstate` (42P01 no such
 * table, 42703 no such column, 42804 key type mismatch), so a
 * `CREATE PROPERTY GRAPH` statement checked the same way reports them as a
 * statement error would.
 *
 * @param columnsOf the columns of a table named as in the config, or undefined when it does not exist
 * @param where the prefix that names the graph in messages (default `graphs.<name>`, the config path)
 */
export function checkGraphAgainstCatalog(
  name: string,
  graph: GraphDefinition,
  columnsOf: (table: string) => readonly GraphCatalogColumn[] | undefined,
  where = `graphs.${name}`,
): GraphDefinition {
  const columns = (w: string, table: string): readonly GraphCatalogColumn[] => {
    const cols = columnsOf(table);
    if (!cols)
      throw configError(
        `${w}.table: table "${table}" does not exist (or is not visible to the gateway)`,
        '42P01',
      );
    return cols;
  };
  const column = (
    w: string,
    table: string,
    cols: readonly GraphCatalogColumn[],
    col: string,
  ): GraphCatalogColumn => {
    const found = cols.find((c) => c.name === col);
    if (!found)
      throw configError(
        `${w}: table "${table}" has no column "${col}" (columns: ${cols.map((c) => c.name).join(', ')})`,
        '42703',
      );
    return found;
  };
  const vertices: Record<string, VertexDefinition> = {};
  const keyTypes = new Map<string, string>();
  for (const [label, v] of Object.entries(graph.vertices)) {
    const w = `${where}.vertices.${label}`;
    const cols = columns(w, v.table);
    keyTypes.set(label, column(`${w}.key`, v.table, cols, v.key).type);
    for (const p of v.properties ?? []) column(`${w}.properties`, v.table, cols, p);
    vertices[label] = { ...v, properties: v.properties ?? cols.map((c) => c.name) };
  }
  const edges: Record<string, EdgeDefinition> = {};
  for (const [type, e] of Object.entries(graph.edges)) {
    const w = `${where}.edges.${type}`;
    const cols = columns(w, e.table);
    for (const [end, col, label] of [
      ['source', e.source, e.from],
      ['target', e.target, e.to],
    ] as const) {
      const c = column(`${w}.${end}`, e.table, cols, col);
      const keyType = keyTypes.get(label)!;
      if (typeFamily(c.type) !== typeFamily(keyType))
        throw configError(
          `${w}.${end}: column "${col}" is ${c.type} but the key of ${label} (${graph.vertices[label]!.table}.${graph.vertices[label]!.key}) is ${keyType}`,
          '42804',
        );
    }
    if (e.key) column(`${w}.key`, e.table, cols, e.key);
    for (const p of e.properties ?? []) column(`${w}.properties`, e.table, cols, p);
    edges[type] = { ...e, properties: e.properties ?? cols.map((c) => c.name) };
  }
  return { ...graph, vertices, edges };
}
