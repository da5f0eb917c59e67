/**
 * The connector against a real PostgreSQL server: catalog, scans with
 * push-down (answers compared with DuckDB on the same data, rows transferred
 * read from pg_stat_statements), whole sub-queries, hostile identifiers and
 * literals, cancellation, a server restart, statistics and parallel scans.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { arrow, ErrorCode, Ex, type SelectTree, SpokeError, Types } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import { type PostgresServer, startPostgres } from '../../../test/harness/index.js';
import {
  CopyBinaryDecoder,
  inlineParameters,
  PostgresConnector,
  parsePostgresOptions,
  resolvePgType,
} from '../src/index.js';
import { canonical, collect, context, rowsOf } from './helpers.js';

const signal = () => new AbortController().signal;
const selectTree = (sql: string) => parseSync(sql).stmts![0]!.stmt as unknown as SelectTree;
const ROWS = 20_000;
/** Valid in both PostgreSQL and DuckDB over generate_series(1, N) AS s(g). */
const GEN = `SELECT g AS id, g % 100 AS grp, (g * 7919) % 1000 AS score, 'name ' || (g % 37) AS name FROM generate_series(1, ${ROWS}) AS s(g)`;

const HOSTILE_IDENTIFIERS = [
  'Mixed Case',
  'we"ird',
  "it's",
  'semi;colon',
  '-- comment',
  '/* c */',
  '$$dollar$$',
  'back\\slash',
  'ünï©ødé 🌍',
  'select',
  ' ',
  '$1',
];
const HOSTILE_LITERALS = [
  "'",
  "''",
  "it's",
  '\\',
  "\\'",
  '$$',
  '$1',
  '$$ ; DROP TABLE t; $$',
  "'; DROP TABLE t; --",
  '/* x */',
  '--',
  'ünï©ødé 🌍',
  '\u2028',
  'a\nb\tc',
  "E'x'",
];

let server: PostgresServer;
let pg: PostgresConnector;
let duck: Awaited<ReturnType<DuckDBInstance['connect']>>;

async function duckRows(sql: string): Promise<unknown[][]> {
  const reader = await duck.runAndReadAll(sql);
  return reader.getRowsJson() as unknown[][];
}

function pgStatRows(like: string): number {
  const out = server.psql(
    `SELECT coalesce(sum(rows), 0) FROM pg_stat_statements WHERE query LIKE '${like.replaceAll("'", "''")}'`,
  );
  return Number(out.trim());
}

before(async () => {
  await loadModule();
  server = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements' } });
  const idents = HOSTILE_IDENTIFIERS.map((n) => `"${n.replaceAll('"', '""')}"`);
  server.psql(`
    CREATE EXTENSION pg_stat_statements;
    CREATE EXTENSION file_fdw;
    CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
    CREATE FOREIGN TABLE ft (line text) SERVER files OPTIONS (program 'echo hello', format 'text');
    CREATE TABLE t AS ${GEN};
    CREATE VIEW v AS SELECT id, name FROM t WHERE id <= 10;
    CREATE MATERIALIZED VIEW mv AS SELECT grp, count(*) AS n FROM t GROUP BY grp;
    CREATE SCHEMA "Other Schema";
    CREATE TABLE "Other Schema"."Case Table" ("Id" int4, "id" int4);
    INSERT INTO "Other Schema"."Case Table" VALUES (1, 2);
    CREATE TABLE hostile (${idents.map((c, i) => `${c} text DEFAULT 'v${i}'`).join(', ')});
    INSERT INTO hostile DEFAULT VALUES;
    CREATE TABLE lits (k int4, v text);
    INSERT INTO lits VALUES ${HOSTILE_LITERALS.map((l, i) => `(${i}, E'${l.replaceAll('\\', '\\\\').replaceAll("'", "''")}')`).join(', ')};
    CREATE TABLE big AS SELECT g AS id, md5(g::text) AS h FROM generate_series(1, 200000) g;
    ANALYZE;
  `);
  pg = new PostgresConnector(parsePostgresOptions({ url: server.url, poolSize: 6 }, { sourceName: 'pg' }), {
    sourceName: 'pg',
  });
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  await duck.run(`CREATE TABLE t AS ${GEN}`);
});

after(async () => {
  await pg?.close();
  await server?.close();
});

describe('catalog', () => {
  test('schemas, relations of every kind, case-sensitive quoted names', { timeout: 10_000 }, async () => {
    const schemas = await pg.catalog.listSchemas();
    assert.ok(schemas.includes('public') && schemas.includes('Other Schema'));
    const tables = await pg.catalog.listTables('public');
    for (const name of ['t', 'v', 'mv', 'ft', 'hostile']) assert.ok(tables.includes(name), name);
    await assert.rejects(
      pg.catalog.listTables('nope'),
      (e) => SpokeError.isInstance(e) && e.code === ErrorCode.TABLE_NOT_FOUND,
    );
    assert.equal(await pg.catalog.getTable('public', 'T'), undefined);
    const table = await pg.catalog.getTable('Other Schema', 'Case Table');
    assert.ok(table);
    assert.deepEqual(
      (await table.schema()).fields.map((f) => f.name),
      ['Id', 'id'],
    );
    const rows = rowsOf(
      await collect(table.scan({ projection: ['id', 'Id'], filters: [], signal: signal(), context })),
    );
    assert.deepEqual(rows, [[2, 1]]);
    for (const name of ['v', 'mv', 'ft']) {
      const rel = await pg.catalog.getTable('public', name);
      assert.ok(rel, name);
      assert.ok(
        rowsOf(
          await collect(
            rel.scan({
              projection: [(await rel.schema()).fields[0]!.name],
              filters: [],
              signal: signal(),
              context,
            }),
          ),
        ).length > 0,
      );
    }
  });
});

describe('push-down', () => {
  const cases = [
    {
      name: '0.1%-selective filter',
      filters: [Ex.cmp('<=', Ex.col('id'), Ex.lit(ROWS / 1000, Types.int32))],
      duck: `id <= ${ROWS / 1000}`,
    },
    {
      name: 'IN, LIKE and OR',
      filters: [
        Ex.or(
          Ex.in(Ex.col('grp'), [Ex.lit(1, Types.int32), Ex.lit(2, Types.int32)]),
          Ex.like(Ex.col('name'), Ex.lit('name 3%', Types.utf8)),
        ),
      ],
      duck: `grp IN (1, 2) OR name LIKE 'name 3%'`,
    },
    {
      name: 'BETWEEN and arithmetic',
      filters: [
        Ex.between(
          Ex.arith('%', Ex.col('score'), Ex.lit(10, Types.int32)),
          Ex.lit(2, Types.int32),
          Ex.lit(3, Types.int32),
        ),
        Ex.cmp('>', Ex.col('id'), Ex.lit(10_000n, Types.int64)),
      ],
      duck: 'score % 10 BETWEEN 2 AND 3 AND id > 10000',
    },
  ];
  for (const c of cases) {
    test(c.name, { timeout: 20_000 }, async () => {
      const table = (await pg.catalog.getTable('public', 't'))!;
      assert.deepEqual(
        await table.supportsFilters!(c.filters),
        c.filters.map(() => 'exact'),
      );
      const request = { projection: ['id', 'name'], filters: c.filters };
      const rendered = pg.renderScan(
        pg.describeTable ? (await pg.describeTable('public', 't'))! : (undefined as never),
        request,
      );
      assert.match(rendered.sql, /^SELECT "id", "name" FROM "public"\."t" WHERE /);
      assert.deepEqual(rendered.params, []);
      server.psql('SELECT pg_stat_statements_reset()');
      const got = rowsOf(await collect(table.scan({ ...request, signal: signal(), context })));
      const want = await duckRows(`SELECT id, name FROM t WHERE ${c.duck}`);
      assert.deepEqual(canonical(got), canonical(want));
      assert.equal(
        pgStatRows('COPY (SELECT "id", "name" FROM "public"."t" WHERE%'),
        want.length,
        'rows transferred = rows in the answer',
      );
    });
  }

  test('top-N and limit', { timeout: 10_000 }, async () => {
    const table = (await pg.catalog.getTable('public', 't'))!;
    const rows = rowsOf(
      await collect(
        table.scan({
          projection: ['id'],
          filters: [],
          orderBy: [
            { expr: Ex.col('score'), direction: 'desc', nulls: 'first' },
            { expr: Ex.col('id'), direction: 'asc', nulls: 'last' },
          ],
          limit: 5,
          signal: signal(),
          context,
        }),
      ),
    );
    const want = await duckRows('SELECT id FROM t ORDER BY score DESC, id LIMIT 5');
    assert.deepEqual(canonical(rows), canonical(want));
    const none = await collect(
      table.scan({ projection: [], filters: [], limit: 7, signal: signal(), context }),
    );
    assert.equal(
      none.reduce((n, b) => n + b.numRows, 0),
      7,
    );
    assert.equal(none[0]!.schema.fields.length, 0);
  });

  test('text range filters are not pushed under a non-byte-order collation', () => {
    const desc = {
      schema: 'public',
      name: 'x',
      kind: 'table',
      columns: [
        {
          name: 's',
          field: null as never,
          sourceType: 'text',
          native: { type: { kind: 'text' }, byteOrderCollation: false, asciiCaseMapping: false },
        },
      ],
    };
    assert.equal(pg.filterSupport(Ex.cmp('<', Ex.col('s'), Ex.lit('m', Types.utf8)), desc), 'unsupported');
    assert.equal(pg.filterSupport(Ex.cmp('=', Ex.col('s'), Ex.lit('m', Types.utf8)), desc), 'exact');
    // Case mapping: pushed only where the column's LC_CTYPE folds all of Unicode, as DuckDB does.
    const upperIs = Ex.cmp('=', Ex.fn('upper', Ex.col('s')), Ex.lit('Ü', Types.utf8));
    assert.equal(pg.filterSupport(upperIs, desc), 'exact');
    const asciiOnly = {
      ...desc,
      columns: [
        {
          ...desc.columns[0]!,
          native: { type: { kind: 'text' }, byteOrderCollation: true, asciiCaseMapping: true },
        },
      ],
    };
    assert.equal(pg.filterSupport(upperIs, asciiOnly), 'unsupported');
    assert.equal(pg.filterSupport(Ex.cmp('=', Ex.col('s'), Ex.lit('m', Types.utf8)), asciiOnly), 'exact');
  });
});

test('character(n) columns are compared as character(n): the literal goes untyped unless it ends in blanks', () => {
  const bpchar = { oid: 1042, typmod: 5, kind: 'text', castToText: true, arrowType: new arrow.Utf8() };
  const desc = {
    schema: 'public',
    name: 'x',
    kind: 'table',
    columns: [
      {
        name: 'flag',
        field: new arrow.Field('flag', new arrow.Utf8(), true),
        sourceType: 'character(1)',
        native: { type: bpchar, byteOrderCollation: true, asciiCaseMapping: false },
      },
    ],
  };
  const sql = (value: string) =>
    pg.renderScan(desc as never, {
      projection: ['flag'],
      filters: [Ex.cmp('=', Ex.col('flag'), Ex.lit(value, Types.utf8))],
    }).sql;
  // Typed text, PostgreSQL would compare flag::text: no index, no statistics.
  assert.doesNotMatch(sql('R'), /AS TEXT/i);
  assert.match(sql('R '), /AS TEXT/i);
});

describe('whole sub-query push-down', () => {
  const render = (sql: string) => {
    return pg.dialect.renderSelect(selectTree(sql));
  };
  const queries = [
    `SELECT grp, count(*) AS n, sum(score) AS s FROM public.t WHERE name <> 'name 1' GROUP BY grp HAVING count(*) > 10 ORDER BY 1`,
    `SELECT a.id, b.n FROM public.t AS a JOIN (SELECT grp, count(*) AS n FROM public.t GROUP BY grp) AS b ON a.grp = b.grp WHERE a.id < 50 AND a.score > 100`,
    `SELECT DISTINCT name FROM public.t WHERE id BETWEEN 5 AND 900 AND name LIKE '%3'`,
    `SELECT id, rank() OVER (PARTITION BY grp ORDER BY score DESC) AS r FROM public.t WHERE id <= 300`,
    `SELECT count(DISTINCT grp) AS g, min(name) AS m FROM public.t WHERE id > 12345678901`,
  ];
  for (const sql of queries) {
    test(sql.slice(0, 60), { timeout: 20_000 }, async () => {
      const rendered = render(sql);
      assert.ok(rendered.params.length > 0, 'literals are bound');
      assert.ok(!/'name 1'|'%3'/.test(rendered.sql), 'no literal is in the SQL text');
      server.psql('SELECT pg_stat_statements_reset()');
      const got = rowsOf(await collect(pg.sql!.execute(rendered, { signal: signal(), context })));
      const want = await duckRows(sql.replaceAll('public.', ''));
      assert.deepEqual(canonical(got), canonical(want));
      if (/GROUP BY grp HAVING/.test(sql))
        assert.equal(pgStatRows('COPY (SELECT grp%'), want.length, 'GROUP BY: rows transferred = groups');
    });
  }

  test('ORDER BY 1 stays positional, type modifiers and EXTRACT stay constants', () => {
    const r = render(
      `SELECT id::numeric(10,2) AS x, extract(year FROM now()) AS y FROM public.t ORDER BY 1 LIMIT 3`,
    );
    assert.match(r.sql, /ORDER BY 1/);
    assert.match(r.sql, /numeric\(10, ?2\)/);
    assert.match(r.sql, /EXTRACT\(year FROM/i);
    assert.deepEqual(r.params, [3]);
  });
});

describe('hostile corpus', () => {
  test('identifiers round-trip as names (scan and sub-query)', { timeout: 20_000 }, async () => {
    const table = (await pg.catalog.getTable('public', 'hostile'))!;
    const names = (await table.schema()).fields.map((f) => f.name);
    assert.deepEqual(names, HOSTILE_IDENTIFIERS);
    const rows = rowsOf(
      await collect(
        table.scan({
          projection: names,
          filters: names.map((n, i) => Ex.cmp('=', Ex.col(n), Ex.lit(`v${i}`, Types.utf8))),
          signal: signal(),
          context,
        }),
      ),
    );
    assert.deepEqual(rows, [HOSTILE_IDENTIFIERS.map((_, i) => `v${i}`)]);
    const q = `SELECT ${names.map((n) => pg.dialect.quoteIdentifier(n)).join(', ')} FROM public.hostile`;
    const got = rowsOf(
      await collect(pg.sql!.execute(pg.dialect.renderSelect(selectTree(q)), { signal: signal(), context })),
    );
    assert.deepEqual(got, rows);
  });

  test('a long IN list goes as one array (= ANY), exact, for integers and hostile texts', {
    timeout: 30_000,
  }, async () => {
    const table = (await pg.catalog.getTable('public', 'big'))!;
    assert.equal(table.valueListLimit, 1_000_000, 'the planner may send this table a million keys');
    // 50,000 keys: over the 20,000 an IN list of placeholders takes; every third id, and some that do not exist.
    const ids = Array.from({ length: 50_000 }, (_, i) => BigInt(i * 3 + 1));
    const filter = Ex.in(
      Ex.col('id'),
      ids.map((id) => Ex.lit(Number(id), Types.int32)),
    );
    const batches = await collect(
      table.scan({ projection: ['id'], filters: [filter], signal: signal(), context }),
    );
    const got = rowsOf(batches).map((r) => Number(r[0]));
    const expected = ids.map(Number).filter((id) => id <= 200_000);
    assert.deepEqual(
      got.sort((a, b) => a - b),
      expected,
    );
    const negated = Ex.in(
      Ex.col('id'),
      ids.map((id) => Ex.lit(Number(id), Types.int32)),
      true,
    );
    const rest = rowsOf(
      await collect(table.scan({ projection: ['id'], filters: [negated], signal: signal(), context })),
    );
    assert.equal(rest.length, 200_000 - expected.length);
    // Texts: quotes, backslashes, commas, braces, the word NULL — each is data inside the array literal.
    const texts = [...HOSTILE_LITERALS, 'a,b', '{x}', 'NULL', '"quoted"', ' spaced '];
    while (texts.length < 80) texts.push(`filler ${texts.length}`);
    const lits = (await pg.catalog.getTable('public', 'lits'))!;
    const byText = rowsOf(
      await collect(
        lits.scan({
          projection: ['k', 'v'],
          filters: [
            Ex.in(
              Ex.col('v'),
              texts.map((t) => Ex.lit(t, Types.utf8)),
            ),
          ],
          signal: signal(),
          context,
        }),
      ),
    );
    assert.deepEqual(
      byText.map((r) => r[1]).sort(),
      [...HOSTILE_LITERALS].sort(),
      'every stored literal found by its own text, nothing else',
    );
  });

  for (const [i, literal] of HOSTILE_LITERALS.entries()) {
    test(`literal ${JSON.stringify(literal)} is data`, { timeout: 10_000 }, async () => {
      const table = (await pg.catalog.getTable('public', 'lits'))!;
      const filter = [Ex.cmp('=', Ex.col('v'), Ex.lit(literal, Types.utf8))];
      const scanned = rowsOf(
        await collect(table.scan({ projection: ['k', 'v'], filters: filter, signal: signal(), context })),
      );
      assert.deepEqual(scanned, [[i, literal]]);
      const tree = selectTree('SELECT k, v, $$x$$ AS echo FROM public.lits WHERE v = $$x$$');
      const setLiteral = (node: unknown): void => {
        if (!node || typeof node !== 'object') return;
        const n = node as Record<string, unknown>;
        if (n.A_Const && (n.A_Const as Record<string, unknown>).sval)
          (n.A_Const as Record<string, unknown>).sval = { sval: literal };
        for (const v of Object.values(n)) setLiteral(v);
      };
      setLiteral(tree);
      const rendered = pg.dialect.renderSelect(tree);
      const got = rowsOf(await collect(pg.sql!.execute(rendered, { signal: signal(), context })));
      assert.deepEqual(got, [[i, literal, literal]]);
      assert.equal(server.psql('SELECT count(*) FROM lits').trim(), String(HOSTILE_LITERALS.length));
    });
  }

  test('NUL is refused, not truncated', () => {
    assert.throws(
      () => inlineParameters('SELECT $1', ['a\u0000b']),
      (e) => SpokeError.isInstance(e) && e.code === ErrorCode.INVALID_QUERY,
    );
  });

  test('the parameter lexer leaves quoted text alone', () => {
    assert.equal(
      inlineParameters(`SELECT '$1', "$1", $$ $1 $$, E'\\'$1', $1 -- $1\n/* $1 /* $1 */ */ - $2`, ['x', -5]),
      `SELECT '$1', "$1", $$ $1 $$, E'\\'$1', (E'x') -- $1\n/* $1 /* $1 */ */ - (-5)`,
    );
  });
});

describe('decoder', () => {
  test('chunks split at every byte decode identically', { timeout: 20_000 }, async () => {
    const client = await pg.connect();
    try {
      const desc = (await pg.describeTable('public', 't'))!;
      const batches = await collect(
        pg.copyOnClient(
          client,
          'SELECT id, grp, score, name FROM public.t WHERE id <= 50',
          desc.columns,
          signal(),
        ),
      );
      const whole = rowsOf(batches);
      // Re-encode: fetch the raw COPY bytes and feed them one byte at a time.
      const { copyTo } = await import('../src/pg-driver.js');
      const stream = client.query(
        copyTo('COPY (SELECT id, grp, score, name FROM public.t WHERE id <= 50) TO STDOUT (FORMAT binary)'),
      );
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      const decoder = new CopyBinaryDecoder(
        batches[0]!.schema,
        desc.columns.map((c) => (c.native as { type: never }).type),
        7,
      );
      const out = [];
      for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
      const last = decoder.end();
      if (last) out.push(last);
      assert.ok(out.length >= 7);
      assert.deepEqual(rowsOf(out), whole);
    } finally {
      client.release();
    }
  });

  test('batches sharing buffers keep their values: NULLs, long texts, arrays and booleans across many batches', {
    timeout: 20_000,
  }, async () => {
    // Small buffers of one decoder come from shared chunks and larger ones are allocated alone: every batch
    // must still hold its own rows once later batches (and later growth) were decoded.
    const client = await pg.connect();
    try {
      const sql = `SELECT g::int8 AS id, CASE WHEN g % 7 = 0 THEN NULL ELSE g::int4 END AS k,
          CASE WHEN g % 5 = 0 THEN NULL ELSE repeat(chr(65 + g % 26), (g * 37) % 1500) END AS v,
          CASE WHEN g % 11 = 0 THEN NULL ELSE ARRAY[g, NULL, g + 1] END AS a,
          CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END AS b
        FROM generate_series(1, 700) g ORDER BY g`;
      const { copyTo } = await import('../src/pg-driver.js');
      const chunks: Buffer[] = [];
      for await (const c of client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`)))
        chunks.push(c as Buffer);
      const types = [20, 23, 25, 1007, 16].map((oid) => resolvePgType(oid, -1));
      const schema = new arrow.Schema(
        ['id', 'k', 'v', 'a', 'b'].map((n, i) => new arrow.Field(n, types[i]!.arrowType, true)),
      );
      const expected = (await client.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) =>
        JSON.stringify([r[0], r[1] === null ? null : Number(r[1]), r[2], r[3], r[4]]),
      );
      for (const batchRows of [1, 3, 64, 65, 200, 65_536]) {
        const decoder = new CopyBinaryDecoder(schema, types, batchRows);
        const out = [];
        for (const chunk of chunks) out.push(...decoder.push(chunk));
        const last = decoder.end();
        if (last) out.push(last);
        const rows = rowsOf(out).map((r) =>
          JSON.stringify([String(r[0]), r[1], r[2], r[3] === null ? null : [...(r[3] as number[])], r[4]]),
        );
        assert.deepEqual(rows, expected, `batches of ${batchRows} rows`);
      }
    } finally {
      client.release();
    }
  });
});

describe('statistics', () => {
  test('rows, bytes, null fraction, distinct, min/max', { timeout: 10_000 }, async () => {
    const stats = await (await pg.catalog.getTable('public', 't'))!.statistics!();
    assert.equal(stats?.rowCount?.value, ROWS);
    assert.ok((stats?.totalBytes?.value ?? 0) > 100_000);
    assert.equal(stats?.columns?.grp?.distinctCount?.value, 100);
    assert.equal(stats?.columns?.id?.min?.value, 1);
    assert.equal(stats?.columns?.id?.max?.value, ROWS);
    assert.equal(stats?.columns?.id?.nullCount?.value, 0);
  });
});

describe('freshness', () => {
  test('without commit timestamps: a table whose change counters grew since the last call is marked changed (an estimate)', {
    timeout: 20_000,
  }, async () => {
    server.psql('CREATE TABLE fresh_a (x int4); CREATE TABLE fresh_b (x int4);');
    const first = await pg.freshness();
    assert.equal(first.method, 'pg_stat_user_tables');
    const find = (f: typeof first, name: string) =>
      f.tables?.find((t) => t.schema === 'public' && t.table === name);
    assert.equal(find(first, 'fresh_a')?.lastModified, undefined);
    const before = Date.now();
    server.psql('INSERT INTO fresh_a VALUES (1), (2)');
    // The counters reach pg_stat_user_tables shortly after the transaction ends.
    let now = first;
    for (let i = 0; i < 50 && !find(now, 'fresh_a')?.lastModified; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await pg.freshness();
    }
    assert.equal(
      server.psql("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'fresh_a'").trim(),
      '2',
    );
    const a = find(now, 'fresh_a')?.lastModified;
    assert.ok(a && !a.exact && a.value.getTime() >= before && a.value.getTime() <= Date.now());
    assert.equal(find(now, 'fresh_b')?.lastModified, undefined);
    assert.ok(now.lastModified && now.lastModified.value.getTime() >= a.value.getTime());
  });
});

describe('parallel ctid scan', () => {
  test('splits a large table over connections and returns every row once', { timeout: 30_000 }, async () => {
    const par = new PostgresConnector(
      parsePostgresOptions(
        { url: server.url, parallelScanWorkers: 4, parallelScanMinPages: 100 },
        { sourceName: 'pg' },
      ),
      { sourceName: 'pg' },
    );
    try {
      const table = (await par.catalog.getTable('public', 'big'))!;
      server.psql('SELECT pg_stat_statements_reset()');
      const rows = rowsOf(
        await collect(
          table.scan({
            projection: ['id'],
            filters: [Ex.cmp('>', Ex.col('id'), Ex.lit(10, Types.int32))],
            signal: signal(),
            context,
          }),
        ),
      );
      assert.equal(rows.length, 200_000 - 10);
      assert.equal(new Set(rows.map((r) => r[0])).size, rows.length);
      const copies = Number(
        server
          .psql(
            `SELECT count(*) FROM pg_stat_statements WHERE query LIKE 'COPY (SELECT "id" FROM "public"."big" WHERE ctid >=%'`,
          )
          .trim(),
      );
      assert.equal(copies, 4);
    } finally {
      await par.close();
    }
  });
});

describe('cancellation and outages', () => {
  test('aborting cancels the query on the server', { timeout: 20_000 }, async () => {
    const controller = new AbortController();
    const run = collect(
      pg.sql!.execute(
        { sql: 'SELECT pg_sleep(30) AS z', params: [] },
        { signal: controller.signal, context },
      ),
    );
    const active = () =>
      Number(
        server
          .psql(
            `SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()`,
          )
          .trim(),
      );
    for (let i = 0; i < 50 && active() === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(active(), 1);
    controller.abort();
    await assert.rejects(run, (e) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED);
    for (let i = 0; i < 50 && active() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(active(), 0);
  });

  test('stopping early (limit reached) cancels the rest', { timeout: 20_000 }, async () => {
    const table = (await pg.catalog.getTable('public', 'big'))!;
    for await (const _ of table.scan({ projection: ['id', 'h'], filters: [], signal: signal(), context }))
      break;
    const rows = rowsOf(
      await collect(table.scan({ projection: ['id'], filters: [], limit: 3, signal: signal(), context })),
    );
    assert.equal(rows.length, 3);
  });

  test('close() does not wait for a stream nobody reads on: its session is cancelled and discarded', {
    timeout: 30_000,
  }, async () => {
    const name = 'spoke-close-unread';
    const own = new PostgresConnector(
      parsePostgresOptions({ url: server.url, applicationName: name, batchRows: 1000 }, { sourceName: 'pg' }),
      { sourceName: 'pg' },
    );
    const sessions = () =>
      Number(server.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = '${name}'`).trim());
    const iterator = own
      .sql!.execute({ sql: 'SELECT id, h FROM big', params: [] }, { signal: signal(), context })
      [Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    assert.equal(sessions(), 1);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      own.close().then(() => 'closed'),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('timed out'), 10_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'closed');
    for (let i = 0; i < 50 && sessions() > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(sessions(), 0);
    // Its reader, coming back, learns the rows stopped (no hang, no second-release crash).
    await assert.rejects(
      (async () => {
        for (;;) if ((await iterator.next()).done) break;
      })(),
      (e) => SpokeError.isInstance(e) && e.code === ErrorCode.SOURCE_UNAVAILABLE,
    );
  });

  test('a server that goes away mid-query gives SOURCE_UNAVAILABLE; the pool recovers', {
    timeout: 60_000,
  }, async () => {
    // A view whose rows stream without end (the set-returning function in the select list is not materialized):
    // a table's rows could all fit in the sockets' buffers and arrive whole before the server stops.
    server.psql(
      'CREATE VIEW endless AS SELECT s AS id, md5(s::text) AS h FROM (SELECT generate_series(1, 1000000000) AS s) g',
    );
    const endless = (await pg.catalog.getTable('public', 'endless'))!;
    const table = (await pg.catalog.getTable('public', 'big'))!;
    const iterator = endless
      .scan({ projection: ['id', 'h'], filters: [], signal: signal(), context })
      [Symbol.asyncIterator]();
    await iterator.next();
    await server.stop();
    await assert.rejects(
      (async () => {
        for (;;) if ((await iterator.next()).done) break;
      })(),
      (e) => SpokeError.isInstance(e) && e.code === ErrorCode.SOURCE_UNAVAILABLE,
    );
    await assert.rejects(
      collect(table.scan({ projection: ['id'], filters: [], limit: 1, signal: signal(), context })),
      (e) => SpokeError.isInstance(e) && e.code === ErrorCode.SOURCE_UNAVAILABLE,
    );
    await server.restart();
    const rows = rowsOf(
      await collect(
        table.scan({
          projection: ['id'],
          filters: [Ex.cmp('=', Ex.col('id'), Ex.lit(42, Types.int32))],
          signal: signal(),
          context,
        }),
      ),
    );
    assert.deepEqual(rows, [[42]]);
  });
});
