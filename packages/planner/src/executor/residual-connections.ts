/**
 * Connections for residual queries. Each query gets a connection of its own
 * (its relations are temp tables named from the plan, `__spoke_1`…, so they
 * must not be seen by another query) with PostgreSQL's settings; the macros
 * behind the rewritten operators are defined once per instance rather than
 * on every connection, where they cost more than a point query takes.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { RESIDUAL_MACROS, RESIDUAL_SETTINGS } from './residual.js';

const macros = new WeakMap<DuckDBInstance, Promise<void>>();

/** Defines the residual macros in `instance` (once; retried after a failure). */
function defineMacros(instance: DuckDBInstance): Promise<void> {
  let defined = macros.get(instance);
  if (!defined) {
    defined = (async () => {
      const connection = await instance.connect();
      try {
        for (const statement of RESIDUAL_MACROS) await connection.run(statement);
      } finally {
        connection.closeSync();
      }
    })();
    macros.set(instance, defined);
    defined.catch(() => macros.delete(instance));
  }
  return defined;
}

/** A new connection ready for a residual query; the caller closes it. */
export async function openResidualConnection(instance: DuckDBInstance): Promise<DuckDBConnection> {
  await defineMacros(instance);
  const connection = await instance.connect();
  try {
    for (const statement of RESIDUAL_SETTINGS) await connection.run(statement);
  } catch (error) {
    connection.closeSync();
    throw error;
  }
  return connection;
}
