import { type DuckDBConnection, type DuckDBDataChunk, DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import type { ScalarValue, ScanRequest } from '@spoke/core';
import { toTypedDuckDBParams as toDuckDBParams } from '@spoke/duckdb-arrow';
import { DuckDBDialect, renderScanSql } from '@spoke/sdk';
import { type CanonicalRow, canonicalRowsFromDuckDB } from './canonical.js';
import { loadFixtureIntoDuckDB } from './duckdb-fixture.js';
import { FIXTURE_TABLE, type FixtureTypeName } from './fixture.js';

const INTEGER_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
]);

/**
 * The oracle: an in-memory DuckDB holding the fixture (table
 * `spoke_conformance` in schema `main`), answering the same requests a
 * connector is asked, with the session settings the IR's semantics need.
 */
export class DuckDBReference {
  readonly dialect = new DuckDBDialect();

  private constructor(
    private readonly instance: DuckDBInstance,
    /** The reference's connection, for tests that want to run their own SQL. */
    readonly connection: DuckDBConnection,
  ) {}

  /** Starts an in-memory DuckDB and loads the fixture (only `types`' columns when given). */
  static async create(types?: readonly FixtureTypeName[]): Promise<DuckDBReference> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await loadFixtureIntoDuckDB(connection, types === undefined ? {} : { types });
    return new DuckDBReference(instance, connection);
  }

  /** Runs `sql` (with `$n` parameters bound) and returns its rows in canonical form. */
  async query(sql: string, params: readonly ScalarValue[] = []): Promise<CanonicalRow[]> {
    const { values, types } = toDuckDBParams(params);
    const result = await this.connection.stream(sql, values, types);
    const integer = Array.from({ length: result.columnCount }, (_, i) =>
      INTEGER_TYPES.has(result.columnTypeId(i)),
    );
    const chunks: DuckDBDataChunk[] = [];
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      chunks.push(chunk);
    }
    return canonicalRowsFromDuckDB(chunks, integer);
  }

  /** The rows `request` must produce, rendered with the DuckDB dialect against the fixture table. */
  async evaluate(
    request: Pick<ScanRequest, 'projection' | 'filters' | 'limit' | 'orderBy'>,
  ): Promise<CanonicalRow[]> {
    const { sql, params } = renderScanSql(this.dialect, [FIXTURE_TABLE], request);
    const rows = await this.query(sql, params);
    return request.projection.length ? rows : rows.map(() => []);
  }

  /** Closes the connection and the database. */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
