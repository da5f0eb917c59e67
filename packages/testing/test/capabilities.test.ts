import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ex, type RenderedSql, type SqlDialect, type SqlExecutor, Types } from '@spoke/core';
import { streamResultAsArrow, toTypedDuckDBParams } from '@spoke/duckdb-arrow';
import { DuckDBDialect, PostgresDialect, standardSqlDialect } from '@spoke/sdk';
import { selectCases } from '../src/capabilities.js';
import { CONFORMANCE_CASES } from '../src/cases.js';
import { expressionSignatures, signatureMatches } from '../src/expression-signatures.js';
import { DuckDBReference } from '../src/reference.js';
import { capabilityHint } from '../src/run-case.js';
import { runWholeQueryCase } from '../src/run-whole-query.js';
import { WHOLE_QUERY_CASES } from '../src/whole-query-cases.js';

const ids = (exclude: string[]) =>
  new Set(selectCases({ filters: 'exact', limit: true, topN: true, exclude }).map((c) => c.id));

describe('finer exclusions', () => {
  test('signatures name cast source and target, and function argument types', () => {
    assert.deepEqual(expressionSignatures(Ex.cast(Ex.col('c_timestamptz'), Types.date)), [
      'cast(timestamptz as date)',
    ]);
    assert.deepEqual(expressionSignatures(Ex.fn('round', Ex.col('c_float64'), Ex.lit(1, Types.int32))), [
      'round(float64, int32)',
    ]);
    assert.ok(signatureMatches('cast(timestamp as date)', 'cast(* as date)'));
    assert.ok(!signatureMatches('cast(int32 as utf8)', 'cast(* as date)'));
    assert.ok(signatureMatches('round(decimal, int32)', 'round(*)'));
  });

  test('one cast target or one function signature is left out, the rest kept', () => {
    const all = ids([]);
    const noDate = ids(['cast(* as date)']);
    assert.ok(all.has('filter.cast.timestamp-to-date') && all.has('filter.cast.timestamptz-to-date'));
    assert.ok(!noDate.has('filter.cast.timestamp-to-date') && !noDate.has('filter.cast.timestamptz-to-date'));
    assert.ok(noDate.has('filter.cast.int-to-text') && noDate.has('filter.cast.widen'));
    const onlyTz = ids(['cast(timestamptz as date)']);
    assert.ok(onlyTz.has('filter.cast.timestamp-to-date') && !onlyTz.has('filter.cast.timestamptz-to-date'));
    const noUpper = ids(['upper(utf8)']);
    assert.ok(
      !noUpper.has('filter.function.upper.non-ascii') && noUpper.has('filter.function.lower.non-ascii'),
    );
    assert.equal(all.size - noUpper.size, 3, 'function.upper, upper.non-ascii and upper.sharp-s');
  });

  test('a failing case names the capability to drop', () => {
    const capabilities = { filters: 'exact', limit: true, topN: true } as const;
    const byId = (id: string) => CONFORMANCE_CASES.find((c) => c.id === id)!;
    assert.match(
      capabilityHint(byId('filter.function.upper.non-ascii'), capabilities),
      /exclude: \["upper\(utf8\)"\]/,
    );
    assert.match(
      capabilityHint(byId('filter.cast.timestamp-to-date'), capabilities),
      /cast\(timestamp as date\)/,
    );
    assert.match(
      capabilityHint(byId('filter.like.ilike.non-ascii'), capabilities),
      /operators without 'like'/,
    );
    assert.match(capabilityHint(byId('limit.10'), capabilities), /limit: false/);
    assert.match(capabilityHint(byId('catalog.discovery'), capabilities), /every connector/);
  });
});

describe('whole-query cases', () => {
  let reference: DuckDBReference;
  before(async () => {
    reference = await DuckDBReference.create();
  });
  after(() => reference.close());

  /** A SqlExecutor over the reference DuckDB with PostgreSQL-rendered statements; `tamper` edits what is sent. */
  const executor = (dialect: SqlDialect, tamper: (sql: string) => string = (s) => s): SqlExecutor => ({
    dialect,
    execute: (query: RenderedSql, options) =>
      (async function* () {
        const { values, types } = toTypedDuckDBParams(query.params);
        const result = await reference.connection.stream(tamper(query.sql), values, types);
        yield* streamResultAsArrow(result, options.signal);
      })(),
  });
  const env = (sql: SqlExecutor | undefined) => ({
    sql,
    fixtureSchema: 'main',
    fixtureTable: 'spoke_conformance',
    reference,
  });

  test('every case passes over DuckDB itself', async () => {
    for (const c of WHOLE_QUERY_CASES) {
      const outcome = await runWholeQueryCase(c, env(executor(new PostgresDialect())));
      assert.deepEqual(outcome, { ran: true }, c.id);
    }
  });

  test("standardSqlDialect, built from DuckDB's expression dialect alone, passes every case it sends", async () => {
    const dialect = standardSqlDialect({ expressions: new DuckDBDialect() });
    const ran: string[] = [];
    for (const c of WHOLE_QUERY_CASES) {
      const outcome = await runWholeQueryCase(c, env(executor(dialect)));
      if (outcome.ran) ran.push(c.id);
    }
    // Every case but none: the standard dialect declares all these capabilities (DuckDB has ILIKE).
    assert.deepEqual(
      ran,
      WHOLE_QUERY_CASES.map((c) => c.id),
    );
  });

  test('standardSqlDialect declines what it cannot write portably (integer /, window functions, FULL JOIN)', async () => {
    const dialect = standardSqlDialect({ expressions: new DuckDBDialect() });
    const { loadModule, parseSync } = await import('libpg-query');
    await loadModule();
    for (const sql of [
      'SELECT c_int32 / 7 FROM t',
      'SELECT row_number() OVER () FROM t',
      'SELECT 1 FROM t a FULL JOIN t b ON a.id = b.id',
    ]) {
      const tree = (parseSync(sql) as { stmts: { stmt: never }[] }).stmts[0]!.stmt;
      assert.throws(() => dialect.renderSelect(tree), /UNSUPPORTED|cannot render/, sql);
    }
  });

  test('a case the dialect does not declare is not run, naming what is missing', async () => {
    const base = new PostgresDialect();
    const noGroupBy: SqlDialect = {
      name: 'no-group-by',
      capabilities: { ...base.capabilities, groupBy: false },
      quoteIdentifier: (n) => base.quoteIdentifier(n),
      renderSelect: (t) => base.renderSelect(t),
    };
    const c = WHOLE_QUERY_CASES.find((x) => x.id === 'whole.group-by')!;
    const outcome = await runWholeQueryCase(c, env(executor(noGroupBy)));
    assert.deepEqual(outcome, { ran: false, reason: 'the dialect does not declare groupBy' });
  });

  test('wrong rows fail naming the capability to drop', async () => {
    const c = WHOLE_QUERY_CASES.find((x) => x.id === 'whole.upper-non-ascii')!;
    await assert.rejects(
      runWholeQueryCase(c, env(executor(new PostgresDialect(), (s) => s.replace('upper(', 'lower(')))),
      /got 0 rows, expected 1.*drop functions: 'upper'/,
    );
  });

  test('wholeQueries declared without an sql executor says so', async () => {
    await assert.rejects(runWholeQueryCase(WHOLE_QUERY_CASES[0]!, env(undefined)), /drop `wholeQueries`/);
  });
});
