/**
 * SQL/PGQ's (SQL:2023) property graph DDL, which the PostgreSQL parser does
 * not know, read into the same {@link GraphDefinition} the config's `graphs:`
 * section gives:
 *
 *     CREATE PROPERTY GRAPH social
 *       VERTEX TABLES (
 *         pg.person KEY (id) LABEL Person PROPERTIES (id, name, age),
 *         lake.company AS company KEY (id) LABEL Company
 *       )
 *       EDGE TABLES (
 *         lance.knows SOURCE KEY (src) REFERENCES pg.person (id)
 *                     DESTINATION KEY (dst) REFERENCES pg.person (id) LABEL KNOWS,
 *         pg.employment KEY (id) SOURCE KEY (person_id) REFERENCES pg.person
 *                     DESTINATION KEY (company_id) REFERENCES company LABEL WORKS_AT
 *       )
 *
 *     DROP PROPERTY GRAPH [IF EXISTS] social
 *
 * `NODE`/`RELATIONSHIP` may stand for `VERTEX`/`EDGE`; `PROPERTIES ALL
 * COLUMNS` (or no PROPERTIES clause) makes every column a property, as the
 * config does; without LABEL an element table's label is its table's name.
 * Names keep the case they are written in, as in the config and in
 * GRAPH_TABLE. What the config cannot express is refused naming it (0A000):
 * several labels on one table, keys of several columns, property
 * expressions, a KEY-less vertex table (Spoke does not read primary keys).
 * Only the statement's shape is checked here; its tables and columns are
 * checked against the catalog as the config's are
 * (`checkGraphAgainstCatalog`).
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { EdgeDefinition, GraphDefinition, VertexDefinition } from '../graph-definition.js';
import { type SqlToken, scanSql } from './sql-scanner.js';

/** A parsed `CREATE PROPERTY GRAPH`. */
export interface CreatePropertyGraph {
  readonly kind: 'create';
  readonly name: string;
  readonly definition: GraphDefinition;
  readonly orReplace: boolean;
  readonly ifNotExists: boolean;
}

/** A parsed `DROP PROPERTY GRAPH`. */
export interface DropPropertyGraph {
  readonly kind: 'drop';
  readonly name: string;
  readonly ifExists: boolean;
}

/** Either property graph statement. */
export type PropertyGraphStatement = CreatePropertyGraph | DropPropertyGraph;

/** Cheap test before scanning. */
const MENTIONS = /^\s*(create|drop)\b[\s\S]*?\bproperty\s+graph\b/i;

function syntaxError(message: string, token: SqlToken | undefined, sql: string): SpokeError {
  const position = (token?.start ?? sql.length) + 1;
  return new SpokeError(ErrorCode.SYNTAX_ERROR, `${message} (at position ${position})`, {
    details: { sqlstate: '42601', position },
  });
}

function unsupported(message: string, token: SqlToken | undefined): SpokeError {
  return new SpokeError(ErrorCode.UNSUPPORTED, message, {
    details: token ? { sqlstate: '0A000', position: token.start + 1 } : { sqlstate: '0A000' },
  });
}

/** A cursor over the significant tokens (no spaces or comments) of one statement. */
class Tokens {
  #at = 0;
  readonly #tokens: SqlToken[];
  constructor(
    readonly sql: string,
    tokens: SqlToken[],
  ) {
    this.#tokens = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  }
  peek(offset = 0): SqlToken | undefined {
    return this.#tokens[this.#at + offset];
  }
  next(): SqlToken | undefined {
    return this.#tokens[this.#at++];
  }
  /** True (and consumed) when the next words are `words`. */
  accept(...words: string[]): boolean {
    for (const [i, w] of words.entries()) {
      const t = this.peek(i);
      if (t?.kind !== 'word' || t.text.toLowerCase() !== w) return false;
    }
    this.#at += words.length;
    return true;
  }
  expect(what: string, ...words: string[]): void {
    if (!this.accept(...words))
      throw syntaxError(`expected ${what}, got ${this.describe(this.peek())}`, this.peek(), this.sql);
  }
  acceptSymbol(symbol: string): boolean {
    const t = this.peek();
    if (t?.kind !== 'other' || t.text !== symbol) return false;
    this.#at++;
    return true;
  }
  expectSymbol(symbol: string, context: string): void {
    if (!this.acceptSymbol(symbol))
      throw syntaxError(
        `expected "${symbol}" ${context}, got ${this.describe(this.peek())}`,
        this.peek(),
        this.sql,
      );
  }
  /** A name: a word, or a quoted identifier (kept as written inside the quotes). */
  name(what: string): string {
    const t = this.peek();
    if (t?.kind === 'word') {
      this.#at++;
      return t.text;
    }
    if (t?.kind === 'identifier' && t.text.length > 2) {
      this.#at++;
      return t.text.slice(1, -1).replaceAll('""', '"');
    }
    throw syntaxError(`expected ${what}, got ${this.describe(t)}`, t, this.sql);
  }
  /** `source.table` or `source.schema.table`. */
  tableName(): string {
    const first = this.peek();
    const parts = [this.name('a table name (source.table)')];
    while (this.acceptSymbol('.')) parts.push(this.name('a name after "."'));
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.includes('.') || /\s/.test(p)))
      throw syntaxError(
        `a table is named source.table or source.schema.table (got "${parts.join('.')}")`,
        first,
        this.sql,
      );
    return parts.join('.');
  }
  describe(t: SqlToken | undefined): string {
    return t ? `"${t.text}"` : 'the end of the statement';
  }
  done(): boolean {
    while (this.acceptSymbol(';'));
    return this.peek() === undefined;
  }
}

/** `( col )`: exactly one column (keys of several columns are refused). */
function oneColumn(t: Tokens, what: string): string {
  const open = t.peek();
  t.expectSymbol('(', `before the ${what} column`);
  const column = t.name(`the ${what} column`);
  if (t.acceptSymbol(','))
    throw unsupported(`${what} of several columns is not supported: name one column`, open);
  t.expectSymbol(')', `after the ${what} column`);
  return column;
}

interface ElementTable {
  readonly table: string;
  readonly alias: string | undefined;
  readonly at: SqlToken;
  key?: string;
  label: string;
  properties?: readonly string[];
}

interface EdgeEnds {
  source: string;
  sourceRef: string;
  sourceRefColumn: string | undefined;
  sourceAt: SqlToken;
  target: string;
  targetRef: string;
  targetRefColumn: string | undefined;
  targetAt: SqlToken;
}

/** `[LABEL l | DEFAULT LABEL] [PROPERTIES (…) | PROPERTIES ALL COLUMNS | NO PROPERTIES]`. */
function labelAndProperties(t: Tokens, element: ElementTable): void {
  let labelled = false;
  for (;;) {
    const at = t.peek();
    if (t.accept('label')) {
      if (labelled)
        throw unsupported('several labels on one element table are not supported: one LABEL each', at);
      element.label = t.name('a label name');
      labelled = true;
    } else if (t.accept('default', 'label')) {
      if (labelled)
        throw unsupported('several labels on one element table are not supported: one LABEL each', at);
      labelled = true;
    } else break;
  }
  if (t.accept('no', 'properties')) element.properties = [];
  else if (t.accept('properties', 'all', 'columns')) return;
  else if (t.accept('properties')) {
    t.expectSymbol('(', 'after PROPERTIES');
    const properties: string[] = [];
    do {
      properties.push(t.name('a column name'));
      const after = t.peek();
      if (after && !(after.kind === 'other' && (after.text === ',' || after.text === ')')))
        throw unsupported(
          'PROPERTIES with expressions or renamed columns is not supported: list column names',
          after,
        );
    } while (t.acceptSymbol(','));
    t.expectSymbol(')', 'after the property list');
    element.properties = properties;
  }
}

/** `table [AS alias] [KEY (col)]`. */
function elementTable(t: Tokens): ElementTable {
  const at = t.peek()!;
  const table = t.tableName();
  const alias = t.accept('as') ? t.name('an alias') : undefined;
  const element: ElementTable = { table, alias, at, label: alias ?? table.split('.').at(-1)! };
  if (t.accept('key')) element.key = oneColumn(t, 'KEY');
  return element;
}

function list<T>(t: Tokens, what: string, item: (t: Tokens) => T): T[] {
  t.expectSymbol('(', `after ${what}`);
  const items: T[] = [];
  do items.push(item(t));
  while (t.acceptSymbol(','));
  t.expectSymbol(')', `to close ${what}`);
  return items;
}

function parseCreate(t: Tokens): CreatePropertyGraph {
  const orReplace = t.accept('or', 'replace');
  t.expect('PROPERTY GRAPH', 'property', 'graph');
  const ifNotExists = t.accept('if', 'not', 'exists');
  const name = t.name('the graph name');
  if (t.acceptSymbol('.'))
    throw syntaxError('a property graph name is one name, not schema-qualified', t.peek(), t.sql);
  if (!(t.accept('vertex', 'tables') || t.accept('node', 'tables')))
    throw syntaxError(`expected VERTEX TABLES (…), got ${t.describe(t.peek())}`, t.peek(), t.sql);
  const vertexTables = list(t, 'VERTEX TABLES', (t) => {
    const v = elementTable(t);
    labelAndProperties(t, v);
    return v;
  });
  const edgeTables: (ElementTable & EdgeEnds)[] = [];
  if (t.accept('edge', 'tables') || t.accept('relationship', 'tables'))
    edgeTables.push(
      ...list(t, 'EDGE TABLES', (t) => {
        const e = elementTable(t);
        const ends = {} as EdgeEnds;
        for (const [end, words] of [
          ['source', ['source', 'key']],
          ['target', ['destination', 'key']],
        ] as const) {
          const at = t.peek()!;
          t.expect(`${words.join(' ').toUpperCase()} (column) REFERENCES vertex_table`, ...words);
          ends[end] = oneColumn(t, words.join(' ').toUpperCase());
          t.expect('REFERENCES', 'references');
          const refAt = t.peek();
          const parts = [t.name('the referenced vertex table')];
          while (t.acceptSymbol('.')) parts.push(t.name('a name after "."'));
          ends[`${end}Ref`] = parts.join('.');
          ends[`${end}RefColumn`] = t.peek()?.text === '(' ? oneColumn(t, 'REFERENCES') : undefined;
          ends[`${end}At`] = refAt ?? at;
        }
        const edge = Object.assign(e, ends);
        labelAndProperties(t, edge);
        return edge;
      }),
    );
  if (!t.done())
    throw syntaxError(`unexpected ${t.describe(t.peek())} after the graph definition`, t.peek(), t.sql);

  const duplicate = (label: string, at: SqlToken) =>
    new SpokeError(ErrorCode.INVALID_QUERY, `property graph "${name}": label "${label}" is defined twice`, {
      details: { sqlstate: '42710', position: at.start + 1 },
    });
  const vertices: Record<string, VertexDefinition> = {};
  for (const v of vertexTables) {
    if (Object.hasOwn(vertices, v.label)) throw duplicate(v.label, v.at);
    if (v.key === undefined)
      throw unsupported(
        `vertex table ${v.table}: KEY (column) is required (Spoke does not read primary keys from sources)`,
        v.at,
      );
    vertices[v.label] = { table: v.table, key: v.key, ...(v.properties ? { properties: v.properties } : {}) };
  }
  /** The label of the vertex table a REFERENCES names: by alias, by full name, or by the table's own name. */
  const referenced = (ref: string, column: string | undefined, at: SqlToken): string => {
    const found =
      vertexTables.find((v) => v.alias === ref) ??
      vertexTables.find((v) => v.table === ref) ??
      vertexTables.find((v) => v.alias === undefined && v.table.split('.').at(-1) === ref);
    if (!found)
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `property graph "${name}": REFERENCES ${ref} names no vertex table (vertex tables: ${vertexTables.map((v) => v.alias ?? v.table).join(', ')})`,
        { details: { sqlstate: '42P01', position: at.start + 1 } },
      );
    if (column !== undefined && column !== found.key)
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `property graph "${name}": REFERENCES ${ref} (${column}) must name the vertex table's KEY (${found.key})`,
        { details: { sqlstate: '42830', position: at.start + 1 } },
      );
    return found.label;
  };
  const edges: Record<string, EdgeDefinition> = {};
  for (const e of edgeTables) {
    if (Object.hasOwn(edges, e.label) || Object.hasOwn(vertices, e.label)) throw duplicate(e.label, e.at);
    edges[e.label] = {
      table: e.table,
      source: e.source,
      target: e.target,
      from: referenced(e.sourceRef, e.sourceRefColumn, e.sourceAt),
      to: referenced(e.targetRef, e.targetRefColumn, e.targetAt),
      ...(e.key !== undefined ? { key: e.key } : {}),
      ...(e.properties ? { properties: e.properties } : {}),
    };
  }
  return { kind: 'create', name, definition: { vertices, edges }, orReplace, ifNotExists };
}

function parseDrop(t: Tokens): DropPropertyGraph {
  t.expect('PROPERTY GRAPH', 'property', 'graph');
  const ifExists = t.accept('if', 'exists');
  const name = t.name('the graph name');
  const at = t.peek();
  if (t.accept('cascade') || t.accept('restrict')) {
    // Nothing depends on a graph: both mean the same.
  }
  if (!t.done())
    throw syntaxError(`unexpected ${t.describe(t.peek() ?? at)} after the graph name`, t.peek(), t.sql);
  return { kind: 'drop', name, ifExists };
}

/**
 * Reads `CREATE [OR REPLACE] PROPERTY GRAPH …` or `DROP PROPERTY GRAPH …`;
 * undefined for any other statement. Throws a SpokeError with SQLSTATE
 * 42601 (and the 1-based position) for a statement it cannot read, 0A000
 * for a construct the config's graph definitions cannot express.
 */
export function parsePropertyGraphStatement(sql: string): PropertyGraphStatement | undefined {
  if (!MENTIONS.test(sql)) return undefined;
  const t = new Tokens(sql, scanSql(sql));
  if (t.accept('create')) {
    if (!(t.peek()?.text.toLowerCase() === 'property' || t.peek(2)?.text.toLowerCase() === 'property'))
      return undefined;
    return parseCreate(t);
  }
  if (t.accept('drop') && t.peek()?.text.toLowerCase() === 'property') return parseDrop(t);
  return undefined;
}
