import type { Field, QueryContext } from '@spoke/core';

/** One column of a table in a SQL-speaking source. */
export interface SqlColumn {
  /** The column's name as the source spells it (case-sensitive); also its Arrow field name. */
  readonly name: string;
  /** The Arrow field the column is delivered as. */
  readonly field: Field;
  /** The source's name for the type (`numeric(12,2)`, `varchar(20)`), for errors and EXPLAIN. */
  readonly sourceType: string;
  /**
   * Whatever the connector needs to decode the column's values on the wire
   * (a PostgreSQL type OID and modifier, a MySQL column type…). Opaque to the sdk.
   */
  readonly native?: unknown;
}

/** One table, view or similar relation of a SQL-speaking source. */
export interface SqlTableDescription {
  readonly schema: string;
  readonly name: string;
  /** `table`, `view`, `materialized view`, `foreign table`, `partitioned table`… */
  readonly kind: string;
  readonly columns: readonly SqlColumn[];
}

/** Options for {@link SqlSourceConnector.executeSql}. */
export interface SqlRunOptions {
  readonly signal: AbortSignal;
  readonly context: QueryContext;
  /**
   * The result's columns, in order, when the caller already knows them (a
   * table scan), so the source need not describe the statement first.
   */
  readonly columns?: readonly SqlColumn[];
}
