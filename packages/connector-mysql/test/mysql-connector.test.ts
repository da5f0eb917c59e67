import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { Ex, type RecordBatch, SpokeError, type SpokeTable, Types } from '@spoke/core';
import { loadModule, parseSync } from 'libpg-query';
import { type MariaDBServer, startMariaDB } from '../../../test/harness/mariadb-server.js';
import { connector, type MysqlConnector } from '../src/index.js';
import { collect, decimalText } from './arrow-test-values.js';

const ctx = { queryId: 'test', roles: [] };
const context = { sourceName: 'my', baseDir: process.cwd() };

/** Rows as plain JS values (bigint → string, bytes → hex, decimals as text) for comparison. */
function rowsOf(batches: readonly RecordBatch[]): unknown[][] {
  const rows: unknown[][] = [];
  for (const b of batches) {
    for (let i = 0; i < b.numRows; i++) {
      rows.push(
        b.schema.fields.map((f, c) => {
          const v = b.getChildAt(c)!.get(i);
          if (v === null || v === undefined) return null;
          if (typeof v === 'bigint') return v.toString();
          if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
          if (f.type.typeId === 7 /* Decimal */)
            return decimalText(v as Uint32Array, (f.type as unknown as { scale: number }).scale);
          if (v instanceof Date) return v.toISOString();
          return v;
        }),
      );
    }
  }
  return rows;
}

describe('connector-mysql against MariaDB', { timeout: 110_000 }, () => {
  let server: MariaDBServer;
  let my: MysqlConnector;
  let duck: DuckDBConnection;
  let duckInstance: DuckDBInstance;

  before(async () => {
    await loadModule();
    server = await startMariaDB();
    server.sql(`
      CREATE TABLE types (
        id INT PRIMARY KEY,
        b BOOLEAN, t TINYINT, tu TINYINT UNSIGNED, s SMALLINT, su SMALLINT UNSIGNED, m MEDIUMINT, i INT, iu INT UNSIGNED,
        bi BIGINT, bu BIGINT UNSIGNED, d DECIMAL(20,4), dbig DECIMAL(50,2), f FLOAT, db DOUBLE, bt BIT(12), b1 BIT(1),
        c CHAR(5), vc VARCHAR(50), tx TEXT, bin BINARY(3), vb VARBINARY(10), bl BLOB,
        dt DATE, dtm DATETIME(6), ts TIMESTAMP(6) NULL, tm TIME(6), y YEAR, j JSON, e ENUM('red','green'), st SET('a','b','c')
      ) ENGINE=InnoDB;
      INSERT INTO types VALUES
        (1, TRUE, -128, 255, -32768, 65535, -8388608, -2147483648, 4294967295,
         -9223372036854775808, 18446744073709551615, -1234567890123456.7891, 123456789012345678901234567890123456789012345678.99, 1.5, -2.25e300, b'101010101010', b'1',
         'ab', 'Hello, World', 'long text é ✓', X'000102', X'FFFE', X'DEADBEEF',
         '1999-12-31', '2024-02-29 13:14:15.123456', '2024-01-01 00:00:00.000001', '23:59:59.999999', 2024, '{"a": [1, 2]}', 'green', 'a,c'),
        (2, FALSE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, b'0', b'0', '', '', '', X'000000', X'', X'',
         '0001-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:01', '00:00:00', 1901, 'null', 'red', ''),
        (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(20) COLLATE utf8mb4_general_ci, city VARCHAR(20), score INT, KEY (city));
      INSERT INTO people VALUES (1, 'alice', 'Paris', 10), (2, 'Alice', 'paris', 20), (3, 'ALICE ', 'Berlin', 30),
        (4, 'bob', 'Berlin', NULL), (5, NULL, 'Rome', 50), (6, 'Émile', 'Paris', 60);
      CREATE TABLE orders (id INT PRIMARY KEY, person_id INT, amount DECIMAL(10,2));
      INSERT INTO orders VALUES (1, 1, 10.50), (2, 1, 20.25), (3, 2, 5.00), (4, 4, 7.75), (5, 9, 1.00);
      CREATE TABLE \`we"ird\`\`name\` (\`col'\\\\umn\` INT, \`✓\` VARCHAR(10));
      INSERT INTO \`we"ird\`\`name\` VALUES (1, 'x'), (2, 'y');
      CREATE TABLE latin (id INT PRIMARY KEY, name VARCHAR(20) CHARACTER SET latin1);
      INSERT INTO latin VALUES (1, 'abc'), (2, '?'), (3, 'é');
      CREATE TABLE visits (id INT PRIMARY KEY, person_id INT, KEY (person_id));
      INSERT INTO visits SELECT seq, seq % 1000 FROM seq_1_to_200000;
      ANALYZE TABLE people, orders;
    `);
    my = (await connector.create({ url: server.url, poolSize: 3, batchRows: 2 }, context)) as MysqlConnector;
    duckInstance = await DuckDBInstance.create(':memory:');
    duck = await duckInstance.connect();
    await duck.run(`CREATE TABLE people (id INT, name VARCHAR, city VARCHAR, score INT);
      INSERT INTO people VALUES (1, 'alice', 'Paris', 10), (2, 'Alice', 'paris', 20), (3, 'ALICE ', 'Berlin', 30),
        (4, 'bob', 'Berlin', NULL), (5, NULL, 'Rome', 50), (6, 'Émile', 'Paris', 60);
      CREATE TABLE orders (id INT, person_id INT, amount DECIMAL(10,2));
      INSERT INTO orders VALUES (1, 1, 10.50), (2, 1, 20.25), (3, 2, 5.00), (4, 4, 7.75), (5, 9, 1.00);`);
  });

  after(async () => {
    await my?.close();
    duck?.closeSync();
    duckInstance?.closeSync();
    await server?.close();
  });

  const table = async (name: string): Promise<SpokeTable> => {
    const t = await my.catalog.getTable('spoke', name);
    assert.ok(t, `table ${name}`);
    return t;
  };
  const scan = async (name: string, request: Partial<Parameters<SpokeTable['scan']>[0]> = {}) => {
    const t = await table(name);
    const schema = await t.schema();
    return collect(
      t.scan({
        projection: schema.fields.map((f) => f.name),
        filters: [],
        signal: new AbortController().signal,
        context: ctx,
        ...request,
      }),
    );
  };

  test('catalogCacheMs: descriptions and statistics come from memory (default 5 s), or from the server every time (0)', async () => {
    // SELECTs the server has run, all clients together (the catalog and statistics queries are SELECTs).
    const selects = () =>
      Number(/Com_select\s+(\d+)/.exec(server.sql("SHOW GLOBAL STATUS LIKE 'Com_select'"))![1]);
    const lookUp = async (c: MysqlConnector) => {
      const table = await c.catalog.getTable('spoke', 'people');
      await table!.statistics!();
    };
    for (const [options, fresh] of [
      [{}, false],
      [{ catalogCacheMs: 0 }, true],
    ] as const) {
      const c = (await connector.create({ url: server.url, ...options }, context)) as MysqlConnector;
      try {
        await lookUp(c);
        const before = selects();
        for (let i = 0; i < 3; i++) await lookUp(c);
        const asked = selects() - before;
        if (fresh) assert.ok(asked >= 3 * 2, `every lookup asks the server: ${asked} SELECTs`);
        else assert.equal(asked, 0, 'nothing asked again within catalogCacheMs');
      } finally {
        await c.close();
      }
    }
  });

  test('catalog: schemas, tables, missing names', async () => {
    assert.deepEqual(await my.catalog.listSchemas(), ['spoke']);
    assert.deepEqual([...(await my.catalog.listTables('spoke'))].sort(), [
      'latin',
      'orders',
      'people',
      'types',
      'visits',
      'we"ird`name',
    ]);
    assert.equal(await my.catalog.getTable('spoke', 'nope'), undefined);
    assert.equal(await my.catalog.getTable('spoke', 'PEOPLE'), undefined, 'names match exactly');
    await assert.rejects(
      my.catalog.listTables('nope'),
      (e) => SpokeError.isInstance(e) && e.code === 'TABLE_NOT_FOUND',
    );
  });

  test('type mapping: every MySQL type round-trips into Arrow', async () => {
    const t = await table('types');
    const schema = await t.schema();
    const types = Object.fromEntries(schema.fields.map((f) => [f.name, String(f.type)]));
    assert.deepEqual(types, {
      id: 'Int32',
      b: 'Bool',
      t: 'Int8',
      tu: 'Uint8',
      s: 'Int16',
      su: 'Uint16',
      m: 'Int32',
      i: 'Int32',
      iu: 'Uint32',
      bi: 'Int64',
      bu: 'Uint64',
      d: 'Decimal[20e+4]',
      dbig: 'Utf8',
      f: 'Float32',
      db: 'Float64',
      bt: 'Uint64',
      b1: 'Bool',
      c: 'Utf8',
      vc: 'Utf8',
      tx: 'Utf8',
      bin: 'Binary',
      vb: 'Binary',
      bl: 'Binary',
      dt: 'Date32<DAY>',
      dtm: 'Timestamp<MICROSECOND>',
      ts: 'Timestamp<MICROSECOND, UTC>',
      tm: 'Time64<MICROSECOND>',
      y: 'Int16',
      j: 'Utf8',
      e: 'Utf8',
      st: 'Utf8',
    });
    const rows = rowsOf(
      await scan('types', { orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'last' }] }),
    );
    assert.deepEqual(rows[0]!.slice(0, 23), [
      1,
      true,
      -128,
      255,
      -32768,
      65535,
      -8388608,
      -2147483648,
      4294967295,
      '-9223372036854775808',
      '18446744073709551615',
      '-1234567890123456.7891',
      '123456789012345678901234567890123456789012345678.99',
      1.5,
      -2.25e300,
      '2730',
      true,
      'ab',
      'Hello, World',
      'long text é ✓',
      '000102',
      'fffe',
      'deadbeef',
    ]);
    assert.deepEqual(rows[0]!.slice(27), [2024, '{"a": [1, 2]}', 'green', 'a,c']);
    // Timestamps and times are microseconds: check them exactly.
    const batch = (
      await scan('types', {
        projection: ['dtm', 'ts', 'tm', 'dt'],
        filters: [Ex.cmp('=', Ex.col('id'), Ex.lit(1, Types.int32))],
      })
    )[0]!;
    const micro = (c: number) => (batch.getChildAt(c)!.data[0]!.values as BigInt64Array)[0];
    assert.equal(micro(0), BigInt(Date.UTC(2024, 1, 29, 13, 14, 15)) * 1000n + 123456n);
    assert.equal(micro(1), BigInt(Date.UTC(2024, 0, 1)) * 1000n + 1n);
    assert.equal(micro(2), 86_399_999_999n);
    const days = (
      await scan('types', {
        projection: ['dt'],
        filters: [Ex.cmp('=', Ex.col('id'), Ex.lit(2, Types.int32))],
      })
    )[0]!;
    assert.equal((days.getChildAt(0)!.data[0]!.values as Int32Array)[0], -719162, 'year 1 dates survive');
    assert.ok(
      rows[2]!.slice(1).every((v) => v === null),
      'NULLs of every type',
    );
  });

  test('filters: string comparisons are case- and space-sensitive, as in DuckDB', async () => {
    const cases: [string, Parameters<typeof Ex.and>[0], string][] = [
      ['name = alice', Ex.cmp('=', Ex.col('name'), Ex.lit('alice', Types.utf8)), `name = 'alice'`],
      ['name = ALICE', Ex.cmp('=', Ex.col('name'), Ex.lit('ALICE', Types.utf8)), `name = 'ALICE'`],
      ['name > a', Ex.cmp('>', Ex.col('name'), Ex.lit('a', Types.utf8)), `name > 'a'`],
      [
        'city in',
        Ex.in(Ex.col('city'), [Ex.lit('paris', Types.utf8), Ex.lit('Rome', Types.utf8)]),
        `city IN ('paris', 'Rome')`,
      ],
      ['like', Ex.like(Ex.col('name'), Ex.lit('A%', Types.utf8)), `name LIKE 'A%'`],
      ['ilike', Ex.like(Ex.col('name'), Ex.lit('al%', Types.utf8), true), `name ILIKE 'al%'`],
      [
        'score between',
        Ex.between(Ex.col('score'), Ex.lit(15, Types.int32), Ex.lit(50, Types.int32)),
        'score BETWEEN 15 AND 50',
      ],
      ['is null', Ex.isNull(Ex.col('score')), 'score IS NULL'],
      ['length', Ex.cmp('=', Ex.fn('length', Ex.col('name')), Ex.lit(5, Types.int32)), 'length(name) = 5'],
    ];
    const t = await table('people');
    for (const [label, filter, where] of cases) {
      const support = await t.supportsFilters!([filter]);
      assert.notEqual(support[0], 'unsupported', label);
      const got = rowsOf(await scan('people', { projection: ['id'], filters: [filter] }))
        .map((r) => r[0])
        .sort();
      const reader = await duck.runAndReadAll(`SELECT id FROM people WHERE ${where} ORDER BY id`);
      const want = reader.getRows().map((r) => r[0]);
      assert.deepEqual(got, want, label);
    }
  });

  test('scan SQL shows the pushed projection, filters, top-N and limit (EXPLAIN)', async () => {
    const description = (await my.describeTable('spoke', 'people'))!;
    const rendered = my.renderScan(description, {
      projection: ['id', 'name'],
      filters: [Ex.cmp('=', Ex.col('name'), Ex.lit("o'; DROP TABLE people; --", Types.utf8))],
      orderBy: [{ expr: Ex.col('score'), direction: 'desc', nulls: 'last' }],
      limit: 2,
    });
    assert.equal(
      rendered.sql,
      'SELECT `id`, `name` FROM `spoke`.`people` WHERE ((`name` COLLATE utf8mb4_nopad_bin) = ?) ORDER BY (CASE WHEN `score` IS NULL THEN 1 ELSE 0 END), `score` DESC LIMIT 2',
    );
    assert.deepEqual(rendered.params, ["o'; DROP TABLE people; --"]);
    const top = rowsOf(
      await scan('people', {
        projection: ['id'],
        orderBy: [{ expr: Ex.col('score'), direction: 'desc', nulls: 'last' }],
        limit: 2,
      }),
    );
    assert.deepEqual(top, [[6], [5]]);
  });

  test('injection corpus: hostile names and values are data, never SQL', async () => {
    const weird = await table('we"ird`name');
    const schema = await weird.schema();
    assert.deepEqual(
      schema.fields.map((f) => f.name),
      ["col'\\\\umn", '✓'],
    );
    const rows = rowsOf(
      await scan('we"ird`name', { filters: [Ex.cmp('=', Ex.col('✓'), Ex.lit('y', Types.utf8))] }),
    );
    assert.deepEqual(rows, [[2, 'y']]);
    const hostile = [
      "'",
      "\\'",
      '\\',
      "' OR '1'='1",
      '`; DROP TABLE people; --',
      '"',
      '\u2028',
      '%',
      '_',
      'é\u0301',
      "\\' OR 1=1 -- ",
    ];
    for (const value of hostile) {
      const got = rowsOf(
        await scan('people', {
          projection: ['id'],
          filters: [Ex.cmp('=', Ex.col('name'), Ex.lit(value, Types.utf8))],
        }),
      );
      assert.deepEqual(got, [], JSON.stringify(value));
    }
    await assert.rejects(
      scan('people', {
        projection: ['id'],
        filters: [Ex.cmp('=', Ex.col('name'), Ex.lit('a\u0000b', Types.utf8))],
      }).then(() => {
        throw new Error('NUL accepted');
      }),
      (e) => SpokeError.isInstance(e) || e instanceof Error,
    );
    assert.equal(server.sql('SELECT COUNT(*) FROM people').trim(), '6', 'people table intact');
  });

  test('whole sub-query push-down: joins, aggregates, order and limit equal DuckDB', async () => {
    await my.describeTable('spoke', 'people');
    await my.describeTable('spoke', 'orders');
    const queries = [
      `SELECT p.name, count(*) AS n, sum(o.amount) AS total FROM spoke.people p JOIN spoke.orders o ON o.person_id = p.id GROUP BY p.name ORDER BY p.name`,
      `SELECT city, count(*) AS n FROM spoke.people GROUP BY city ORDER BY city`,
      `SELECT DISTINCT name FROM spoke.people WHERE name IS NOT NULL ORDER BY name`,
      `SELECT p.id, o.id AS oid FROM spoke.people p LEFT JOIN spoke.orders o ON o.person_id = p.id WHERE p.city = 'Paris' ORDER BY p.id, o.id`,
      `SELECT id FROM spoke.people WHERE name IN ('alice', 'bob') OR score > 40 ORDER BY id DESC LIMIT 3`,
      `SELECT id, coalesce(score, -1) + 1 AS s FROM spoke.people WHERE name LIKE 'A%' OR name ILIKE 'b%' ORDER BY 1`,
      `SELECT max(name) AS mx, min(name) AS mn FROM spoke.people`,
      `SELECT id FROM spoke.people WHERE id IN (SELECT person_id FROM spoke.orders WHERE amount > 6) ORDER BY id`,
      `SELECT concat(name, '!') AS c FROM spoke.people ORDER BY id`,
    ];
    for (const sql of queries) {
      const tree = parseSync(sql).stmts![0]!.stmt as never;
      const rendered = my.dialect.renderSelect(tree);
      const got = rowsOf(
        await collect(my.sql.execute(rendered, { signal: new AbortController().signal, context: ctx })),
      );
      const reader = await duck.runAndReadAll(sql.replaceAll('spoke.', ''));
      const want = reader
        .getRowsJS()
        .map((r) =>
          r.map((v) =>
            v === null ? null : typeof v === 'bigint' ? v.toString() : typeof v === 'object' ? String(v) : v,
          ),
        );
      const norm = (rows: unknown[][]) =>
        rows.map((r) =>
          r.map((v) => (v === null ? null : /^-?\d+(\.\d+)?$/.test(String(v)) ? Number(v) : String(v))),
        );
      assert.deepEqual(norm(got), norm(want), `${sql}\n→ ${rendered.sql}`);
    }
    const full = parseSync('SELECT * FROM spoke.people p FULL JOIN spoke.orders o ON o.person_id = p.id')
      .stmts![0]!.stmt as never;
    assert.throws(
      () => my.dialect.renderSelect(full),
      (e) => SpokeError.isInstance(e) && e.code === 'UNSUPPORTED',
    );
  });

  test('long IN lists go as one JSON array (JSON_TABLE): 100,000 keys, utf8mb4 text exact, NOT IN, whole statements', async () => {
    const visits = await table('visits');
    assert.equal(visits.valueListLimit, 1_000_000, 'MariaDB 10.6+ takes a million keys');
    // 100,000 integer keys (every other id): far past MariaDB's 65,535 placeholders.
    const keys = Array.from({ length: 100_000 }, (_, i) => Ex.lit(2 * i + 1, Types.int32));
    const filter = Ex.in(Ex.col('id'), keys);
    const rendered = my.renderScan((await my.describeTable('spoke', 'visits'))!, {
      projection: ['id'],
      filters: [filter],
    });
    assert.match(rendered.sql, /IN \(SELECT `__spoke_keys`.`v` FROM JSON_TABLE\(\?/);
    assert.equal(rendered.params.length, 1);
    const rows = rowsOf(await scan('visits', { projection: ['id', 'person_id'], filters: [filter] }));
    assert.equal(rows.length, 100_000);
    assert.ok(rows.every((r) => Number(r[0]) % 2 === 1));
    const notIn = Ex.in(Ex.col('id'), keys.slice(0, 70), true);
    const kept = rowsOf(
      await scan('visits', {
        projection: ['id'],
        filters: [notIn, Ex.cmp('<=', Ex.col('id'), Ex.lit(200, Types.int32))],
      }),
    );
    assert.deepEqual(
      kept.map((r) => Number(r[0])),
      Array.from({ length: 200 }, (_, i) => i + 1).filter((id) => id > 139 || id % 2 === 0),
    );
    // Text keys compare as DuckDB does (case and trailing spaces matter), whatever the column's collation.
    const names = [
      'alice',
      'ALICE ',
      'Émile',
      'bob ',
      ...Array.from({ length: 80 }, (_, i) => `filler ${i}`),
    ];
    const byName = Ex.in(
      Ex.col('name'),
      names.map((n) => Ex.lit(n, Types.utf8)),
    );
    const peopleTable = (await my.describeTable('spoke', 'people'))!;
    assert.match(my.renderScan(peopleTable, { projection: ['id'], filters: [byName] }).sql, /JSON_TABLE/);
    const got = rowsOf(await scan('people', { projection: ['id'], filters: [byName] })).map((r) =>
      Number(r[0]),
    );
    const list = names.map((n) => `'${n.replaceAll("'", "''")}'`).join(', ');
    const want = (
      await duck.runAndReadAll(`SELECT id FROM people WHERE name IN (${list}) ORDER BY id`)
    ).getRows();
    assert.deepEqual(
      got.sort(),
      want.map((r) => Number(r[0])),
    );
    // Text keys for a column of another character set stay placeholders: there a key the column cannot hold would
    // become `?` in a JSON column and match a `?`.
    const latin = (await my.describeTable('spoke', 'latin'))!;
    const latinKeys = Ex.in(
      Ex.col('name'),
      ['abc', 'é', ...Array.from({ length: 70 }, (_, i) => `filler ${i}`)].map((n) => Ex.lit(n, Types.utf8)),
    );
    assert.doesNotMatch(my.renderScan(latin, { projection: ['id'], filters: [latinKeys] }).sql, /JSON_TABLE/);
    assert.deepEqual(
      rowsOf(await scan('latin', { projection: ['id'], filters: [latinKeys] })).map((r) => Number(r[0])),
      [1, 3],
    );
    // A whole statement: integers as one array inside the SQL (text, whose column's character set a whole
    // statement does not carry, as placeholders), equal to DuckDB.
    for (const [sql, array] of [
      [
        `SELECT id FROM spoke.people WHERE id IN (${Array.from({ length: 70 }, (_, i) => i * 2 + 1).join(', ')}) ORDER BY id`,
        true,
      ],
      [`SELECT id FROM spoke.people WHERE name IN (${list}) ORDER BY id`, false],
      [
        `SELECT id FROM spoke.people WHERE id NOT IN (${Array.from({ length: 70 }, (_, i) => i * 2 + 1).join(', ')}) ORDER BY id`,
        true,
      ],
    ] as const) {
      const statement = my.dialect.renderSelect(parseSync(sql).stmts![0]!.stmt as never);
      if (array) assert.match(statement.sql, /JSON_TABLE/, sql);
      else assert.doesNotMatch(statement.sql, /JSON_TABLE/, sql);
      const fromMaria = rowsOf(
        await collect(my.sql.execute(statement, { signal: new AbortController().signal, context: ctx })),
      ).map((r) => Number(r[0]));
      const fromDuck = (await duck.runAndReadAll(sql.replaceAll('spoke.', '')))
        .getRows()
        .map((r) => Number(r[0]));
      assert.deepEqual(fromMaria, fromDuck, sql);
    }
  });

  test('statistics come from information_schema and index cardinality', async () => {
    const stats = await (await table('people')).statistics!();
    assert.ok(stats?.rowCount && stats.rowCount.value >= 1 && stats.rowCount.exact === false);
    assert.equal(stats?.columns?.id?.distinctCount?.value, stats?.rowCount?.value);
    assert.ok(stats?.columns?.city?.distinctCount);
  });

  test('streams in batches and stops the server statement when the consumer stops early', async () => {
    server.sql('CREATE TABLE big AS SELECT seq AS n FROM seq_1_to_200000');
    const t = await table('big');
    let rows = 0;
    for await (const batch of t.scan({
      projection: ['n'],
      filters: [],
      signal: new AbortController().signal,
      context: ctx,
    })) {
      rows += batch.numRows;
      assert.ok(batch.numRows <= 2);
      if (rows >= 10) break;
    }
    assert.equal(rows, 10);
    // The pool connection is reusable straight away.
    const again = rowsOf(
      await scan('people', {
        projection: ['id'],
        limit: 1,
        orderBy: [{ expr: Ex.col('id'), direction: 'asc', nulls: 'last' }],
      }),
    );
    assert.deepEqual(again, [[1]]);
  });

  test('cancellation sends KILL QUERY and surfaces QUERY_CANCELLED', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('user cancelled')), 300);
    await assert.rejects(
      collect(
        my.sql.execute(
          { sql: 'SELECT SLEEP(20) AS s', params: [] },
          { signal: controller.signal, context: ctx },
        ),
      ),
      (e) => SpokeError.isInstance(e) && e.code === 'QUERY_CANCELLED',
    );
    assert.ok(Date.now() - started < 5000, 'cancelled promptly');
    const running = server
      .sql(`SELECT COUNT(*) FROM information_schema.processlist WHERE INFO LIKE 'SELECT SLEEP(20)%'`)
      .trim();
    assert.equal(running, '0');
  });

  test("freshness: each table's UPDATE_TIME, as MariaDB reports it; a write moves it on", async () => {
    server.sql('CREATE TABLE fresh (x INT)');
    const before = Math.floor(Date.now() / 1000) * 1000;
    server.sql('INSERT INTO fresh VALUES (1)');
    const f = await my.freshness();
    assert.equal(f.method, 'information_schema UPDATE_TIME');
    const at = f.tables?.find((t) => t.schema === 'spoke' && t.table === 'fresh')?.lastModified;
    const truth = server
      .sql("SELECT UNIX_TIMESTAMP(UPDATE_TIME) FROM information_schema.TABLES WHERE TABLE_NAME = 'fresh'")
      .trim();
    assert.deepEqual(at, { value: new Date(Number(truth) * 1000), exact: false });
    assert.ok(at!.value.getTime() >= before - 1000 && at!.value.getTime() <= Date.now());
    assert.ok(f.lastModified && f.lastModified.value.getTime() >= at!.value.getTime());
  });

  test('a stopped server is SOURCE_UNAVAILABLE; options are validated', async () => {
    await assert.rejects(
      connector.create({ url: server.url, bogus: 1 }, context),
      (e) => SpokeError.isInstance(e) && e.code === 'INVALID_CONFIG' && /bogus/.test(e.message),
    );
    const down = (await connector.create(
      { host: '127.0.0.1', port: 1, user: 'root', database: 'x', connectTimeoutMs: 1000 },
      context,
    )) as MysqlConnector;
    await assert.rejects(
      down.catalog.listSchemas(),
      (e) => SpokeError.isInstance(e) && e.code === 'SOURCE_UNAVAILABLE',
    );
    await down.close();
  });
});
