/**
 * `@spoke/graph/definitions` — everything in `@spoke/graph` but the Cypher
 * parser and compiler: graph definitions and their checks, SQL/PGQ's
 * `CREATE`/`DROP PROPERTY GRAPH` and the `GRAPH_TABLE` rewrite, `cypher()`'s
 * parameters. Loading the parser (ANTLR and its generated tables) takes about
 * a quarter of a second; a server imports this entry at start-up and loads
 * `@spoke/graph` itself at its first Cypher query.
 *
 * @packageDocumentation
 */
export { quoteIdent, quoteLiteral, quoteTable } from './compile/sql-text.js';
export { graphSource, variableLengthFor } from './compile/variable-length-shape.js';
export { cypherSyntaxError, unsupportedCypher } from './errors.js';
export {
  checkGraphAgainstCatalog,
  DEFAULT_MAX_HOPS,
  type EdgeDefinition,
  type GraphCatalogColumn,
  type GraphDefinition,
  parseGraphDefinition,
  type VertexDefinition,
} from './graph-definition.js';
export { cypherCallParameters } from './pgq/cypher-call.js';
export { rewriteGraphTable } from './pgq/graph-table.js';
export {
  type CreatePropertyGraph,
  type DropPropertyGraph,
  type PropertyGraphStatement,
  parsePropertyGraphStatement,
} from './pgq/property-graph-statement.js';
