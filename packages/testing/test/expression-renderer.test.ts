import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, Ex, type ScalarType, SpokeError, Types } from '@spoke/core';
import { toTypedDuckDBParams as toDuckDBParams } from '@spoke/duckdb-arrow';
import { AnsiDialect, DuckDBDialect, ExpressionRenderer, renderScanSql } from '@spoke/sdk';
import { rowKey } from '../src/canonical.js';
import { type CaseRequest, CONFORMANCE_CASES } from '../src/cases.js';
import { HOSTILE_IDENTIFIERS, HOSTILE_LITERALS, HOSTILE_NUL_STRINGS } from '../src/hostile.js';
import { DuckDBReference } from '../src/reference.js';

/** DuckDB with every literal inlined through renderLiteral instead of bound. */
class InlineDuckDBDialect extends DuckDBDialect {
  override placeholder(): string | undefined {
    return undefined;
  }
}

/** DuckDB pretending to lack ILIKE and NULLS FIRST/LAST, to run the renderer's portable fallbacks. */
class PlainDuckDBDialect extends DuckDBDialect {
  override readonly hasIlike = false;
  override readonly hasNullsOrdering = false;
}

class TestAnsiDialect extends AnsiDialect {
  readonly name = 'ansi-test';
  placeholder(index: number): string {
    return `$${index}`;
  }
}

const sortedKeys = (rows: readonly (readonly unknown[])[]) => rows.map((r) => rowKey(r as never)).sort();

describe('expression renderer, DuckDB dialect', () => {
  let reference: DuckDBReference;
  before(async () => {
    reference = await DuckDBReference.create();
  });
  after(() => reference.close());

  const rowCases = CONFORMANCE_CASES.filter(
    (c): c is Extract<typeof c, { request: CaseRequest }> =>
      'request' in c && 'expectedSql' in c && c.expectedSql !== undefined,
  );

  for (const [label, dialect] of [
    ['bound parameters', new DuckDBDialect()],
    ['inline literals', new InlineDuckDBDialect()],
    ['portable fallbacks (no ILIKE, no NULLS FIRST)', new PlainDuckDBDialect()],
  ] as const) {
    test(`every conformance case rendered with ${label} equals its hand-written SQL`, async () => {
      for (const c of rowCases) {
        const { limit: _limit, ...request } = c.request;
        const { sql, params } = renderScanSql(
          dialect,
          ['spoke_conformance'],
          c.kind === 'topN' ? c.request : request,
        );
        if (label === 'inline literals') assert.equal(params.length, 0, `${c.id}: ${sql}`);
        const rendered = await reference.query(sql, params);
        const expected = await reference.query(c.expectedSql!);
        if (c.kind === 'topN')
          assert.deepEqual(
            rendered.map((r) => rowKey(r)),
            expected.map((r) => rowKey(r)),
            `${c.id}: ${sql}`,
          );
        else if (request.projection.length === 0)
          assert.equal(rendered.length, expected.length, `${c.id}: ${sql}`);
        else assert.deepEqual(sortedKeys(rendered), sortedKeys(expected), `${c.id}: ${sql}`);
      }
    });
  }

  test('top-N cases render ORDER BY … NULLS … LIMIT that DuckDB runs in the expected order', async () => {
    const dialects = [new DuckDBDialect(), new PlainDuckDBDialect()];
    for (const c of CONFORMANCE_CASES) {
      if (c.kind !== 'topN') continue;
      // One at a time: a DuckDB connection streams one result at a time.
      const results: string[][] = [];
      for (const d of dialects) {
        const { sql, params } = renderScanSql(d, ['spoke_conformance'], c.request);
        results.push((await reference.query(sql, params)).map((r) => rowKey(r)));
      }
      assert.deepEqual(results[1], results[0], c.id);
      assert.equal(results[0]!.length, c.request.limit, c.id);
    }
  });

  test('the SQL text of each node', () => {
    const d = new DuckDBDialect();
    const render = (e: Parameters<ExpressionRenderer['render']>[0]) => {
      const r = new ExpressionRenderer(d);
      return { sql: r.render(e), params: r.params };
    };
    assert.deepEqual(render(Ex.cmp('=', Ex.col('a"b'), Ex.lit(1, Types.int32))), {
      sql: '("a""b" = CAST($1 AS INTEGER))',
      params: [1],
    });
    assert.equal(
      render(Ex.like(Ex.col('t'), Ex.lit('a\\_%', Types.utf8))).sql,
      `("t" LIKE CAST($1 AS VARCHAR) ESCAPE '\\')`,
    );
    assert.equal(
      render(Ex.like(Ex.col('t'), Ex.lit('x', Types.utf8), true, true)).sql,
      `("t" NOT ILIKE CAST($1 AS VARCHAR) ESCAPE '\\')`,
    );
    assert.equal(render(Ex.in(Ex.col('a'), [])).sql, '(1 = 0)');
    assert.equal(render(Ex.in(Ex.col('a'), [], true)).sql, '(1 = 1)');
    assert.equal(render(Ex.lit(null, Types.int64)).sql, 'CAST(NULL AS BIGINT)');
    assert.equal(render(Ex.lit(null, Types.binary)).sql, 'CAST(NULL AS BLOB)');
    assert.equal(render(Ex.cast(Ex.col('a'), Types.decimal(38, 10))).sql, 'CAST("a" AS DECIMAL(38,10))');
    assert.equal(
      render(Ex.fn('coalesce', Ex.col('a'), Ex.lit(0, Types.int32))).sql,
      'coalesce("a", CAST($1 AS INTEGER))',
    );
    assert.equal(d.renderLiteral(new Uint8Array([0, 255]), Types.binary), "from_hex('00ff')");
    assert.equal(
      d.renderLiteral('2024-01-01 10:00:00', Types.timestamptz),
      "CAST('2024-01-01 10:00:00+00' AS TIMESTAMPTZ)",
    );
    assert.equal(
      d.renderLiteral('2024-01-01 10:00:00+02', Types.timestamptz),
      "CAST('2024-01-01 10:00:00+02' AS TIMESTAMPTZ)",
    );
    assert.equal(
      d.renderLiteral('2024-01-01 10:00:00', Types.timestamp),
      "CAST('2024-01-01 10:00:00' AS TIMESTAMP)",
    );
    // A dialect without ILIKE lowers both sides.
    const plain = new ExpressionRenderer(new PlainDuckDBDialect());
    assert.equal(
      plain.render(Ex.like(Ex.col('t'), Ex.lit('x', Types.utf8), true)),
      `(lower("t") LIKE lower(CAST($1 AS VARCHAR)) ESCAPE '\\')`,
    );
    // Standard SQL names.
    const ansi = new ExpressionRenderer(new TestAnsiDialect());
    assert.equal(ansi.render(Ex.cast(Ex.col('x'), Types.float64)), 'CAST("x" AS DOUBLE PRECISION)');
    assert.equal(ansi.canRender(Ex.cast(Ex.col('x'), Types.binary)), false);
    assert.equal(new ExpressionRenderer(d).canRender(Ex.cast(Ex.col('x'), Types.binary)), true);
  });

  test('literal values of every type round-trip through DuckDB, bound and inline', async () => {
    const values: [unknown, ScalarType][] = [
      [true, Types.bool],
      [-32768, Types.int16],
      [-2147483648, Types.int32],
      [-9223372036854775808n, Types.int64],
      [9223372036854775807n, Types.int64],
      [0.1, Types.float64],
      [-1e-300, Types.float64],
      ['-9999999999999999999999999999.9999999999', Types.decimal(38, 10)],
      ['0.0001', Types.decimal(18, 4)],
      ['2024-02-29', Types.date],
      ['1969-12-31 23:59:59.999999', Types.timestamp],
      ['2024-02-29 23:30:00.000001', Types.timestamptz],
      [new Uint8Array([0, 1, 0xff]), Types.binary],
      ['emoji 😀', Types.utf8],
    ];
    for (const dialect of [new DuckDBDialect(), new InlineDuckDBDialect()]) {
      for (const [value, type] of values) {
        const r = new ExpressionRenderer(dialect);
        const sql = `SELECT ${r.render(Ex.lit(value as never, type))} AS v`;
        const [row] = await reference.query(sql, r.params);
        const r2 = new ExpressionRenderer(dialect);
        const [again] = await reference.query(
          `SELECT ${dialect.renderLiteral(value as never, type)} = ${r2.render(Ex.lit(value as never, type))}`,
          r2.params,
        );
        assert.ok(row, sql);
        assert.deepEqual(again, [true], `${dialect.constructor.name} ${String(value)}: ${sql}`);
      }
    }
  });

  describe('hostile corpus', () => {
    test('every hostile identifier names a table and a column, and comes back as that name', async () => {
      const d = new DuckDBDialect();
      for (const [i, name] of HOSTILE_IDENTIFIERS.entries()) {
        await reference.connection.run(`CREATE SCHEMA IF NOT EXISTS ${d.quoteIdentifier(`s${i} ${name}`)}`);
        await reference.connection.run(
          `CREATE TABLE ${d.quoteIdentifier(`s${i} ${name}`)}.${d.quoteIdentifier(name)} (${d.quoteIdentifier(name)} VARCHAR, "id" INTEGER)`,
        );
        await reference.connection.run(
          `INSERT INTO ${d.quoteIdentifier(`s${i} ${name}`)}.${d.quoteIdentifier(name)} VALUES ($1, $2), ('other', 2)`,
          [name, 1],
        );
        const { sql, params } = renderScanSql(d, [`s${i} ${name}`, name], {
          projection: [name, 'id'],
          filters: [Ex.cmp('=', Ex.col(name), Ex.lit(name, Types.utf8))],
        });
        const bound = toDuckDBParams(params);
        const result = await reference.connection.runAndReadAll(sql, bound.values, bound.types);
        assert.deepEqual(result.columnNames(), [name, 'id'], sql);
        assert.deepEqual(result.getRows(), [[name, 1]], sql);
      }
    });

    test('every hostile literal is data: a filter matches exactly its row, bound and inline', async () => {
      const c = reference.connection;
      await c.run('CREATE TABLE hostile_literals (id INTEGER, v VARCHAR)');
      for (const [i, text] of HOSTILE_LITERALS.entries())
        await c.run('INSERT INTO hostile_literals VALUES ($1, $2)', [i, text]);
      const back = await c.runAndReadAll('SELECT v FROM hostile_literals ORDER BY id');
      assert.deepEqual(
        back.getRows().map((r) => r[0]),
        [...HOSTILE_LITERALS],
      );
      for (const dialect of [new DuckDBDialect(), new InlineDuckDBDialect()]) {
        for (const [i, text] of HOSTILE_LITERALS.entries()) {
          const { sql, params } = renderScanSql(dialect, ['hostile_literals'], {
            projection: ['id'],
            filters: [Ex.cmp('=', Ex.col('v'), Ex.lit(text, Types.utf8))],
          });
          const rows = await reference.query(sql, params);
          // Equal texts in the corpus would match each other; there are none.
          assert.deepEqual(rows, [[BigInt(i)]], `${dialect.constructor.name} #${i}: ${sql.slice(0, 200)}`);
          // As a LIKE pattern with every metacharacter escaped, it matches itself too.
          const escaped = text.replace(/[\\%_]/g, (m) => `\\${m}`);
          const like = renderScanSql(dialect, ['hostile_literals'], {
            projection: ['id'],
            filters: [Ex.like(Ex.col('v'), Ex.lit(escaped, Types.utf8))],
          });
          assert.deepEqual(await reference.query(like.sql, like.params), [[BigInt(i)]], `LIKE #${i}`);
        }
      }
    });

    test('NUL is refused with INVALID_QUERY, in identifiers, inline literals and bound literals', () => {
      const isInvalid = (e: unknown) =>
        SpokeError.isInstance(e) && e.code === ErrorCode.INVALID_QUERY && /NUL/.test(e.message);
      for (const text of HOSTILE_NUL_STRINGS) {
        for (const dialect of [new DuckDBDialect(), new InlineDuckDBDialect()]) {
          assert.throws(() => dialect.quoteIdentifier(text), isInvalid);
          assert.throws(() => renderScanSql(dialect, ['t'], { projection: [text], filters: [] }), isInvalid);
          assert.throws(
            () =>
              renderScanSql(dialect, ['t'], {
                projection: ['a'],
                filters: [Ex.cmp('=', Ex.col('a'), Ex.lit(text, Types.utf8))],
              }),
            isInvalid,
          );
        }
      }
    });
  });
});
