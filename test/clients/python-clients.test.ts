/**
 * The Python clients from Debian's packages against `spoke serve`: psycopg2
 * (with SQLAlchemy 1.4 and pandas over it), psycopg 3 (binary results and
 * parameters), asyncpg (its binary protocol and typed parameters) and
 * psqlODBC through pyodbc. Each runs as `/usr/bin/python3` and answers are
 * compared with DuckDB's over the same file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BIG_ROWS, type ClientFixture, clientFixture, PASSWORD, USER } from './client-fixture.js';
import { PY_PRELUDE, TYPES_COLUMNS, typesReferenceSql } from './python-prelude.js';

let fx: ClientFixture;
let reference: (string | null)[][];

before(async () => {
  fx = await clientFixture();
  reference = (await fx.duckdb(typesReferenceSql())).map((r) => Object.values(r) as (string | null)[]);
});

after(async () => {
  await fx?.close();
});

/** Runs a script after the prelude; its last printed line is JSON. */
async function py(script: string): Promise<unknown> {
  const stdout = await fx.python(`${PY_PRELUDE}\n${script}`);
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('psycopg2 (python3-psycopg2)', { timeout: 120_000 }, () => {
  test('typed values, parameters, NULLs and the run-time parameters drivers read', async () => {
    const got = (await py(`
import psycopg2
c = psycopg2.connect('')
cur = c.cursor()
cur.execute("SELECT ${TYPES_COLUMNS} FROM crm.types ORDER BY id")
rows = [[canon(v) for v in r] for r in cur.fetchall()]
cur.execute("SELECT id, name FROM crm.customers WHERE id = %s AND name = %s AND balance > %s", (6, 'customer 6', decimal.Decimal('1.5')))
param = cur.fetchall()
cur.execute("SELECT %s::int IS NULL", (None,))
null = cur.fetchone()[0]
c.rollback()
settings = {}
for name in ['transaction isolation level', 'transaction_isolation', 'standard_conforming_strings', 'DateStyle', 'server_version_num', 'default_transaction_read_only', 'extra_float_digits', 'IntervalStyle', 'client_encoding', 'search_path']:
    cur.execute('SHOW ' + name)
    settings[name] = cur.fetchone()[0]
cur.execute("SET TimeZone = 'Europe/Paris'")
cur.execute("SELECT current_setting('TimeZone')")
tz = cur.fetchone()[0]
cur.execute("RESET TimeZone")
cur.execute("SHOW TimeZone")
tz_reset = cur.fetchone()[0]
cur.execute("SELECT version(), current_schema(), current_database()")
ident = list(cur.fetchone())
try:
    cur.execute('SHOW no_such_parameter')
    unknown = None
except psycopg2.Error as e:
    unknown = e.pgcode
out({'rows': rows, 'param': param, 'null': null, 'settings': settings, 'tz': tz, 'tz_reset': tz_reset, 'ident': ident, 'unknown': unknown})
`)) as Record<string, unknown>;
    assert.deepEqual(got.rows, reference);
    assert.deepEqual(got.param, [[6, 'customer 6']]);
    assert.equal(got.null, true);
    assert.deepEqual(got.settings, {
      'transaction isolation level': 'read committed',
      transaction_isolation: 'read committed',
      standard_conforming_strings: 'on',
      DateStyle: 'ISO, MDY',
      server_version_num: '150000',
      default_transaction_read_only: 'off',
      extra_float_digits: '1',
      IntervalStyle: 'postgres',
      client_encoding: 'UTF8',
      search_path: '"$user", public',
    });
    assert.equal(got.tz, 'Europe/Paris');
    assert.equal(got.tz_reset, 'UTC');
    assert.match(String((got.ident as string[])[0]), /^PostgreSQL 15/);
    assert.deepEqual((got.ident as string[]).slice(1), ['public', 'spoke']);
    assert.equal(got.unknown, '42704');
  });

  test('a named (server-side) cursor streams a large result with DECLARE/FETCH', async () => {
    const got = (await py(`
import psycopg2
c = psycopg2.connect('')
cur = c.cursor('big_cursor')
cur.itersize = 5000
cur.execute("SELECT id, label FROM crm.big ORDER BY id")
n = 0; total = 0; first = None
for row in cur:
    if first is None: first = list(row)
    n += 1; total += row[0]
cur.close()
c.commit()
# After COMMIT the cursor (WITHOUT HOLD) is gone, as in PostgreSQL.
cur2 = c.cursor()
try:
    cur2.execute('FETCH 1 FROM big_cursor'); gone = None
except psycopg2.Error as e:
    gone = e.pgcode
out({'n': n, 'total': total, 'first': first, 'gone': gone})
`)) as Record<string, unknown>;
    const [expected] = await fx.duckdb(
      'SELECT count(*)::VARCHAR AS n, sum(id)::VARCHAR AS total FROM crm.big',
    );
    assert.equal(String(got.n), expected!.n);
    assert.equal(String(got.total), expected!.total);
    assert.deepEqual(got.first, [0, 'row 0']);
    assert.equal(got.gone, '34000');
  });

  test('copy_expert: COPY (query) TO STDOUT as CSV with a header and as text', async () => {
    const got = (await py(`
import psycopg2, io
c = psycopg2.connect('')
cur = c.cursor()
f = io.StringIO()
cur.copy_expert("COPY (SELECT id, txt, dec, d FROM crm.types ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)", f)
t = io.StringIO()
cur.copy_expert("COPY (SELECT id, txt FROM crm.types ORDER BY id) TO STDOUT", t)
out({'csv': f.getvalue(), 'text': t.getvalue()})
`)) as Record<string, string>;
    assert.equal(
      got.csv,
      'id,txt,dec,d\n1,hello,12345.67,2024-02-29\n2,"wörld ""quoted""",-0.05,1999-12-31\n3,,,\n',
    );
    assert.equal(got.text, '1\thello\n2\twörld "quoted"\n3\t\\N\n');
  });

  test('SQLAlchemy 1.4 connects (its first-connect probes) and pandas.read_sql reads through it', async () => {
    const got = (await py(`
import sqlalchemy as sa, pandas as pd
e = sa.create_engine('postgresql+psycopg2://${USER}:${PASSWORD}@127.0.0.1:' + os.environ['PGPORT'] + '/spoke')
with e.connect() as conn:
    df = pd.read_sql(sa.text('SELECT id, name, vip, balance FROM crm.customers WHERE id <= :n ORDER BY id'), conn, params={'n': 5})
    isolation = conn.get_isolation_level()
out({'version': sa.__version__, 'isolation': isolation, 'ids': [int(x) for x in df['id']], 'names': list(df['name']), 'balance': [str(x) for x in df['balance']]})
`)) as Record<string, unknown>;
    assert.match(String(got.version), /^1\.4\./);
    assert.equal(got.isolation, 'READ COMMITTED');
    const expected = await fx.duckdb(
      'SELECT id, name, balance::VARCHAR AS balance FROM crm.customers WHERE id <= 5 ORDER BY id',
    );
    assert.deepEqual(
      got.ids,
      expected.map((r) => r.id),
    );
    assert.deepEqual(
      got.names,
      expected.map((r) => r.name),
    );
    // pandas turns Decimal into float (read_sql's coerce_float).
    assert.deepEqual(
      (got.balance as string[]).map(Number),
      expected.map((r) => Number(r.balance)),
    );
  });
});

describe('TLS (verify-full against the gateway certificate) and cancellation', { timeout: 120_000 }, () => {
  test('psycopg2, psycopg 3 and asyncpg connect over verified TLS with SCRAM; psycopg2 cancels a running query with 57014', async () => {
    const got = (await py(`
import psycopg2, psycopg, asyncio, asyncpg, ssl, threading, time
cert = os.environ['SPOKE_CERT']
tls = dict(sslmode='verify-full', sslrootcert=cert)
c2 = psycopg2.connect('', **tls)
cur = c2.cursor(); cur.execute('SELECT count(*) FROM crm.customers')
p2 = [c2.info.ssl_in_use, cur.fetchone()[0]]
# Cancel: a query that runs for long, cancelled from another thread.
threading.Timer(0.5, c2.cancel).start()
t0 = time.time()
try:
    cur.execute('SELECT count(*) FROM crm.big a, crm.big b WHERE a.id + b.id = -1')
    cancelled = None
except psycopg2.Error as e:
    cancelled = e.pgcode
elapsed = time.time() - t0
c2.rollback()
cur.execute('SELECT 1'); after_cancel = cur.fetchone()[0]
with psycopg.connect('', **tls) as c3:
    p3 = [c3.pgconn.ssl_in_use, c3.execute('SELECT count(*) FROM crm.customers').fetchone()[0]]
async def main():
    ctx = ssl.create_default_context(cafile=cert)
    c = await asyncpg.connect(ssl=ctx)
    n = await c.fetchval('SELECT count(*) FROM crm.customers')
    used = c._transport.get_extra_info('ssl_object') is not None
    await c.close()
    return [used, n]
out({'psycopg2': p2, 'psycopg3': p3, 'asyncpg': asyncio.run(main()), 'cancelled': cancelled, 'elapsed': elapsed, 'after': after_cancel})
`)) as Record<string, unknown>;
    assert.deepEqual(got.psycopg2, [true, 100]);
    assert.deepEqual(got.psycopg3, [true, 100]);
    assert.deepEqual(got.asyncpg, [true, 100]);
    assert.equal(got.cancelled, '57014');
    assert.ok(Number(got.elapsed) < 20, `the cancel took ${got.elapsed} s`);
    assert.equal(got.after, 1);
  });
});

describe('psycopg 3 (python3-psycopg)', { timeout: 120_000 }, () => {
  test('binary results of every column type, binary Decimal/int parameters, a server-side cursor and binary COPY', async () => {
    const got = (await py(`
import psycopg
with psycopg.connect('') as c:
    cur = c.cursor(binary=True)
    cur.execute("SELECT ${TYPES_COLUMNS} FROM crm.types ORDER BY id")
    rows = [[canon(v) for v in r] for r in cur.fetchall()]
    cur.execute("SELECT * FROM crm.types ORDER BY id")
    all_cols = [[canon(v) for v in r] for r in cur.fetchall()]
    cur.execute("SELECT ARRAY[1, 2, NULL]::int[] AS ints, ARRAY['a', 'b c', NULL, '']::text[] AS strs, ARRAY[[1, 2], [3, 4]]::bigint[][] AS grid, ARRAY[]::int[] AS empty, ARRAY[DATE '2024-02-29'] AS dates, ARRAY[2.5]::numeric(4,1)[] AS nums")
    nested = [[canon(x) if not isinstance(x, list) else [canon(y) if not isinstance(y, list) else y for y in x] for x in r] for r in cur.fetchall()]
    cur.execute("SELECT id FROM crm.customers WHERE id = %b AND balance > %b", (9, decimal.Decimal('1.5')))
    param = cur.fetchall()
    cur.execute("SELECT id FROM crm.customers WHERE balance >= %s ORDER BY id LIMIT 2", (decimal.Decimal('120.00'),), binary=False)
    text_param = cur.fetchall()
with psycopg.connect('') as c:
    with c.cursor(name='p3_cursor') as sc:
        sc.itersize = 7000
        sc.execute("SELECT id FROM crm.big ORDER BY id")
        n = 0; total = 0
        for (i,) in sc:
            n += 1; total += i
with psycopg.connect('') as c:
    data = bytearray()
    with c.cursor().copy("COPY (SELECT id, name, balance FROM crm.customers WHERE id <= 3 ORDER BY id) TO STDOUT (FORMAT BINARY)") as cp:
        cp.set_types(['int4', 'text', 'numeric'])
        copied = [[canon(v) for v in row] for row in cp.rows()]
out({'rows': rows, 'all': all_cols, 'nested': nested, 'param': param, 'text_param': text_param, 'n': n, 'total': total, 'copied': copied})
`)) as Record<string, unknown>;
    assert.deepEqual(got.rows, reference);
    const all = got.all as (string | null)[][];
    assert.equal(all.length, 3);
    // Columns beyond DuckDB's spelling: timestamptz, bytea, time, uuid.
    assert.deepEqual(all[0]!.slice(10, 14), [
      '2024-01-02 03:04:05+00:00',
      '00ff',
      '12:34:56.500000',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    ]);
    // Arrays (with NULLs, empty, two-dimensional, of dates and numerics) in binary, decoded by psycopg's own loaders.
    assert.deepEqual(got.nested, [
      [
        ['1', '2', null],
        ['a', 'b c', null, ''],
        [
          [1, 2],
          [3, 4],
        ],
        [],
        ['2024-02-29'],
        ['2.5'],
      ],
    ]);
    assert.deepEqual(got.param, [[9]]);
    assert.deepEqual(got.text_param, [[96], [97]]);
    const [expected] = await fx.duckdb(
      'SELECT count(*)::VARCHAR AS n, sum(id)::VARCHAR AS total FROM crm.big',
    );
    assert.equal(String(got.n), expected!.n);
    assert.equal(String(got.total), expected!.total);
    assert.equal(Number(got.n), BIG_ROWS);
    assert.deepEqual(got.copied, [
      ['1', 'customer 1', '1.25'],
      ['2', 'customer 2', '2.50'],
      ['3', 'customer 3', '3.75'],
    ]);
  });
});

describe('asyncpg (python3-asyncpg)', { timeout: 120_000 }, () => {
  test('typed parameters (int, Decimal, str) are described by the compared column, results decode in binary', async () => {
    const got = (await py(`
import asyncio, asyncpg
async def main():
    c = await asyncpg.connect()
    st = await c.prepare('SELECT id, name, balance FROM crm.customers WHERE id = $1')
    types = [t.name for t in st.get_parameters()]
    one = await st.fetch(5)
    dec = await c.fetch('SELECT id FROM crm.customers WHERE balance > $1 AND vip = $2 ORDER BY id LIMIT $3', decimal.Decimal('100'), True, 3)
    in_list = await c.fetch('SELECT id FROM crm.customers WHERE id IN ($1, $2) AND name LIKE $3 ORDER BY id', 7, 8, 'customer%')
    rows = await c.fetch("SELECT ${TYPES_COLUMNS} FROM crm.types ORDER BY id")
    big = 0
    async with c.transaction():
        async for r in c.cursor('SELECT id FROM crm.big', prefetch=5000):
            big += 1
    await c.close()
    return {'types': types, 'one': [canon(v) for v in one[0]], 'dec': [r[0] for r in dec], 'in': [r[0] for r in in_list],
            'rows': [[canon(v) for v in r] for r in rows], 'big': big}
out(asyncio.run(main()))
`)) as Record<string, unknown>;
    assert.deepEqual(got.types, ['int4']);
    assert.deepEqual(got.one, ['5', 'customer 5', '6.25']);
    const expected = await fx.duckdb(
      'SELECT id FROM crm.customers WHERE balance > 100 AND vip ORDER BY id LIMIT 3',
    );
    assert.deepEqual(
      got.dec,
      expected.map((r) => r.id),
    );
    assert.deepEqual(got.in, [7, 8]);
    assert.deepEqual(got.rows, reference);
    assert.equal(got.big, BIG_ROWS);
  });
});

describe('psqlODBC (odbc-postgresql) through pyodbc', { timeout: 120_000 }, () => {
  test('connects and runs parameterized queries', async () => {
    const got = (await py(`
import pyodbc
c = pyodbc.connect('DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=' + os.environ['PGPORT'] + ';DATABASE=spoke;UID=${USER};PWD=${PASSWORD}')
cur = c.cursor()
rows = [[canon(v) for v in r] for r in cur.execute('SELECT id, name, balance FROM crm.customers WHERE id = ? OR name = ? ORDER BY id', 4, 'customer 10').fetchall()]
types = [[canon(v) for v in r] for r in cur.execute("SELECT ${TYPES_COLUMNS} FROM crm.types ORDER BY id").fetchall()]
out({'rows': rows, 'types': types})
`)) as Record<string, unknown>;
    assert.deepEqual(got.rows, [
      ['4', 'customer 4', '5.00'],
      ['10', 'customer 10', '12.50'],
    ]);
    // psqlODBC reads every value as text: compare the columns it keeps exact.
    const types = got.types as (string | null)[][];
    assert.deepEqual(
      types.map((r) => [r[0], r[6], r[7], r[8], r[10]]),
      reference.map((r) => [r[0], r[6], r[7], r[8], r[10]]),
    );
  });
});
