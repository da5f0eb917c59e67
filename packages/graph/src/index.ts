/**
 * `@spoke/graph` — graph queries over tables: a Cypher subset (parsed with
 * Neo4j's openCypher-derived grammar) and SQL/PGQ, compiled to SQL that the
 * planner runs like any other query.
 *
 * @packageDocumentation
 */
export {
  type CompileCypherOptions,
  type CompiledCypher,
  compileCypher,
  compileCypherQuery,
} from './compile/compile-cypher.js';
export type { CypherParamValue, ParamStyle } from './compile/parameters.js';
export { quoteIdent, quoteLiteral, quoteTable } from './compile/sql-text.js';
export { graphSource, variableLengthFor } from './compile/variable-length-shape.js';
export { parseCypher } from './cypher/build-ir.js';
export type * from './cypher/cypher-ir.js';
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
