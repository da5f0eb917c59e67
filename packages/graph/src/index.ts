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
export { parseCypher } from './cypher/build-ir.js';
export type * from './cypher/cypher-ir.js';
export * from './definitions.js';
