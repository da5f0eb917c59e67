import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RecordBatch, type ScanRequest, Types } from '@spoke/core';
import { BaseTable, StaticCatalog } from '@spoke/sdk';
import { canonicalRowsFromBatches, rowKey } from '../src/canonical.js';
import { selectCases } from '../src/capabilities.js';
import { CONFORMANCE_CASES } from '../src/cases.js';
import { FIXTURE_COLUMNS, FIXTURE_ROW_COUNT, fixtureRows, fixtureTable } from '../src/fixture.js';
import { DuckDBReference } from '../src/reference.js';
import { type CaseEnvironment, ConformanceError, runCase } from '../src/run-case.js';

describe('conformance kit', () => {
  let reference: DuckDBReference;
  before(async () => {
    reference = await DuckDBReference.create();
  });
  after(() => reference.close());

  test('the fixture is deterministic, has NULLs in every nullable column and awkward values', () => {
    const rows = fixtureRows();
    assert.equal(rows.length, FIXTURE_ROW_COUNT);
    FIXTURE_COLUMNS.forEach((c, i) => {
      const nulls = rows.filter((r) => r[i] === null).length;
      if (c.nullable) assert.ok(nulls > 0, `${c.name} has NULLs`);
      else assert.equal(nulls, 0);
    });
    assert.equal(new Set(rows.map((r) => r[0])).size, FIXTURE_ROW_COUNT);
  });

  test('the Arrow fixture and the SQL-loaded reference hold the same rows', async () => {
    const arrowRows = canonicalRowsFromBatches(fixtureTable().batches).map(rowKey).sort();
    const sqlRows = (
      await reference.query(`SELECT ${FIXTURE_COLUMNS.map((c) => c.name).join(', ')} FROM spoke_conformance`)
    )
      .map(rowKey)
      .sort();
    assert.deepEqual(arrowRows, sqlRows);
  });

  test('cases are selected by capabilities', () => {
    const all = selectCases({ filters: 'exact', limit: true, topN: true });
    assert.equal(all.length, CONFORMANCE_CASES.length);
    const scanOnly = selectCases({ filters: 'none', limit: false, topN: false });
    assert.ok(
      scanOnly.every((c) => !('request' in c) || (c.request.filters.length === 0 && c.kind === 'scan')),
    );
    const noBinary = selectCases({
      filters: 'exact',
      limit: true,
      topN: true,
      types: ['int32', 'utf8'],
      functions: ['lower'],
    });
    assert.ok(noBinary.some((c) => c.id === 'function.lower' || c.id === 'filter.function.lower'));
    assert.ok(
      !noBinary.some((c) => c.id.includes('upper') || c.id.includes('binary') || c.id.includes('int64')),
    );
    const full = noBinary.find((c) => c.id === 'scan.full');
    assert.deepEqual(full && 'request' in full ? full.request.projection : [], ['id', 'c_int32', 'c_text']);
    const inexact = selectCases({ filters: 'inexact', limit: true, topN: true });
    assert.ok(!inexact.some((c) => (c.kind === 'limit' || c.kind === 'topN') && c.request.filters.length));
  });

  /** Serves the Arrow fixture, dropping one row: the kit must notice. */
  class BrokenTable extends BaseTable {
    async schema() {
      return fixtureTable().schema;
    }
    override supportsFilters(filters: readonly unknown[]) {
      return filters.map(() => 'exact' as const);
    }
    async *scan(request: ScanRequest): AsyncGenerator<RecordBatch> {
      const batch = fixtureTable().batches[0]!;
      yield batch.slice(1).select(request.projection as string[]);
    }
  }

  test('a connector that loses a row, ignores a filter or answers in the wrong order fails with a readable message', async () => {
    const table = new BrokenTable('spoke_conformance');
    const env: CaseEnvironment = {
      catalog: new StaticCatalog('main', { main: [table] }),
      table,
      fixtureSchema: 'main',
      fixtureTable: 'spoke_conformance',
      reference,
      capabilities: { filters: 'exact', limit: true, topN: true },
    };
    const byId = (id: string) => CONFORMANCE_CASES.find((c) => c.id === id)!;
    await runCase(byId('catalog.discovery'), env);
    await runCase(byId('schema.arrow-types'), env);
    await assert.rejects(
      runCase(byId('scan.full'), env),
      (e: unknown) =>
        e instanceof ConformanceError && /got 199 rows, expected 200; missing: \(0, /.test(e.message),
    );
    await assert.rejects(
      runCase(byId('filter.compare.int32.eq'), env),
      (e: unknown) => e instanceof ConformanceError && /unexpected:/.test(e.message),
    );
    await assert.rejects(runCase(byId('top-n.int32-desc-nulls-first'), env), ConformanceError);
    await assert.rejects(runCase(byId('limit.10'), env), /LIMIT 10 returned 199 rows/);
    void Types;
  });
});
