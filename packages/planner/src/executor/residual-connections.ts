/**
 * The DuckDB instances and connections residual queries run on. Each
 * instance is sandboxed (`residual-sandbox.ts`) with the macros behind the
 * rewritten operators defined once, at creation, rather than on every
 * connection, where they cost more than a point query takes. Each query gets
 * a connection of its own: its relations are temp tables (`__spoke_1`…),
 * which no other connection can see.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBSessionOptions } from '@spoke/duckdb-arrow';
import { RESIDUAL_MACROS } from './residual.js';
import { createSandboxedInstance } from './residual-sandbox.js';

/** A sandboxed DuckDB instance with the residual macros, ready for user SQL. */
export function createResidualInstance(options: DuckDBSessionOptions = {}): Promise<DuckDBInstance> {
  return createSandboxedInstance(options, async (connection) => {
    for (const statement of RESIDUAL_MACROS) await connection.run(statement);
  });
}

/** A new connection ready for a residual query; the caller closes it. */
export function openResidualConnection(instance: DuckDBInstance): Promise<DuckDBConnection> {
  return instance.connect();
}
