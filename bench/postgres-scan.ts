/**
 * PostgreSQL full scan → Arrow, against the limit measured in the same run.
 *
 *   node --import tsx bench/postgres-scan.ts [rows=1000000] [memoryRows=10000000] [rounds=7]
 *
 * Prints: `psql \copy (SELECT …) TO '/dev/null' (FORMAT binary)` (the limit),
 * our connector delivering every row as Arrow batches, a plain pg
 * `SELECT *` (the naive path), rows transferred for a 0.1%-selective filter
 * and a GROUP BY, and peak RSS while scanning `memoryRows` rows.
 *
 * The limit and ours are timed in interleaved rounds (psql then ours, then
 * the other way round), so on a shared machine both see the same load; the
 * best of each is reported, with the median of the per-round ratios and the
 * load average.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import { Ex, Types } from '@spoke/core';
import { startPostgres } from '../test/harness/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const memoryRows = Number(process.argv[3] ?? 10_000_000);
const rounds = Number(process.argv[4] ?? 7);
const context = { queryId: 'bench', roles: [] as string[] };
const signal = new AbortController().signal;
const SELECT = 'SELECT i4, i8, f8, t, ts FROM bench';

const server = await startPostgres({
  settings: { shared_buffers: '512MB', shared_preload_libraries: 'pg_stat_statements' },
});
try {
  server.psql(`
    CREATE EXTENSION pg_stat_statements;
    CREATE TABLE bench AS SELECT g::int4 AS i4, g::int8 * 1000003 AS i8, g / 7.0::float8 AS f8,
      'text value ' || (g % 1000) AS t, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' AS ts
    FROM generate_series(1, ${rows}) g;
    VACUUM ANALYZE bench;`);
  const pg = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'bench' }), {
    sourceName: 'bench',
  });
  const table = (await pg.catalog.getTable('public', 'bench'))!;
  const all = ['i4', 'i8', 'f8', 't', 'ts'];

  const time = async (fn: () => Promise<unknown> | unknown) => {
    const start = performance.now();
    await fn();
    return performance.now() - start;
  };
  const best = async (n: number, fn: () => Promise<unknown> | unknown) => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) min = Math.min(min, await time(fn));
    return min;
  };
  const psqlCopy = () => {
    const r = spawnSync(`${server.binDir}/psql`, [
      server.url,
      '-X',
      '-q',
      '-c',
      `\\copy (${SELECT}) TO '/dev/null' (FORMAT binary)`,
    ]);
    if (r.status !== 0) throw new Error(String(r.stderr));
  };
  const connectorScan = async () => {
    let n = 0;
    for await (const b of table.scan({ projection: all, filters: [], signal, context })) n += b.numRows;
    if (n !== rows) throw new Error(`got ${n} rows`);
  };
  const naive = async () => {
    const require = createRequire(import.meta.url);
    const { Client } = require('pg');
    const client = new Client({ connectionString: server.url });
    await client.connect();
    await client.query(`${SELECT}`);
    await client.end();
  };

  // Warm the cache (and our pool's connection) once, then interleaved rounds.
  psqlCopy();
  await connectorScan();
  const load = loadavg();
  let limit = Number.POSITIVE_INFINITY;
  let ours = Number.POSITIVE_INFINITY;
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let l: number;
    let o: number;
    if (r % 2 === 0) {
      l = await time(psqlCopy);
      o = await time(connectorScan);
    } else {
      o = await time(connectorScan);
      l = await time(psqlCopy);
    }
    limit = Math.min(limit, l);
    ours = Math.min(ours, o);
    ratios.push(o / l);
  }
  const loadAfter = loadavg();
  // What every psql run pays before copying (process start, connection): ours reuses a pooled connection.
  const psqlStart = await best(3, () => {
    const r = spawnSync(`${server.binDir}/psql`, [server.url, '-X', '-q', '-c', 'SELECT 1']);
    if (r.status !== 0) throw new Error(String(r.stderr));
  });
  const median = ratios.sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  const plain = await best(2, naive);

  const transferred = async (run: () => Promise<number>, like: string) => {
    server.psql('SELECT pg_stat_statements_reset()');
    const answer = await run();
    const sent = Number(
      server.psql(`SELECT coalesce(sum(rows), 0) FROM pg_stat_statements WHERE query LIKE '${like}'`).trim(),
    );
    return { answer, sent };
  };
  const filtered = await transferred(async () => {
    let n = 0;
    for await (const b of table.scan({
      projection: all,
      filters: [Ex.cmp('<=', Ex.col('i4'), Ex.lit(rows / 1000, Types.int32))],
      signal,
      context,
    }))
      n += b.numRows;
    return n;
  }, 'COPY (SELECT "i4"%');
  const grouped = await transferred(async () => {
    let n = 0;
    const rendered = pg.dialect.renderSelect({
      SelectStmt: {
        targetList: [
          { ResTarget: { val: { ColumnRef: { fields: [{ String: { sval: 't' } }] } } } },
          {
            ResTarget: {
              name: 'n',
              val: {
                FuncCall: {
                  funcname: [{ String: { sval: 'count' } }],
                  agg_star: true,
                  funcformat: 'COERCE_EXPLICIT_CALL',
                },
              },
            },
          },
        ],
        fromClause: [
          { RangeVar: { schemaname: 'public', relname: 'bench', inh: true, relpersistence: 'p' } },
        ],
        groupClause: [{ ColumnRef: { fields: [{ String: { sval: 't' } }] } }],
        limitOption: 'LIMIT_OPTION_DEFAULT',
        op: 'SETOP_NONE',
      },
    });
    for await (const b of pg.sql.execute(rendered, { signal, context })) n += b.numRows;
    return n;
  }, 'COPY (SELECT t, count(*)%');

  console.log(
    `PostgreSQL full scan, ${rows.toLocaleString('en')} rows x 5 columns (int4, int8, float8, text, timestamptz)`,
  );
  console.log(
    `  best of ${rounds} interleaved rounds; load average ${load.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after`,
  );
  console.log(
    `  limit  psql \\copy … (FORMAT binary) to /dev/null : ${limit.toFixed(0)} ms  (of which psql start + connect ≈ ${psqlStart.toFixed(0)} ms: psql -c 'SELECT 1')`,
  );
  console.log(
    `  ours   connector → Arrow batches               : ${ours.toFixed(0)} ms  (${(ours / limit).toFixed(2)}x the limit; target ≤ 1.5x; median per-round ratio ${median.toFixed(2)}x)`,
  );
  console.log(
    `  naive  pg SELECT * (rows as JS objects)        : ${plain.toFixed(0)} ms  (${(plain / limit).toFixed(2)}x)`,
  );
  console.log(`  0.1% filter: ${filtered.sent} rows transferred, ${filtered.answer} rows in the answer`);
  console.log(`  GROUP BY t : ${grouped.sent} rows transferred, ${grouped.answer} rows in the answer`);

  if (memoryRows > 0) {
    server.psql(`CREATE TABLE mem AS SELECT g::int4 AS i4, g::int8 AS i8, g / 7.0::float8 AS f8, 'text value ' || (g % 1000) AS t,
      timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' AS ts FROM generate_series(1, ${memoryRows}) g`);
    const mem = (await pg.catalog.getTable('public', 'mem'))!;
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = 0;
    const samples: number[] = [];
    let n = 0;
    const start = performance.now();
    for await (const b of mem.scan({ projection: all, filters: [], signal, context })) {
      n += b.numRows;
      const rss = process.memoryUsage().rss;
      peak = Math.max(peak, rss);
      if (n % 1_000_000 < b.numRows) samples.push(Math.round(rss / 2 ** 20));
    }
    const ms = performance.now() - start;
    console.log(
      `  memory: ${n.toLocaleString('en')} rows in ${(ms / 1000).toFixed(1)} s; RSS ${Math.round(before / 2 ** 20)} MB before (after the runs above), peak while scanning ${Math.round(peak / 2 ** 20)} MB; per million rows: ${samples.join(', ')} MB`,
    );
  }
  await pg.close();
} finally {
  await server.close();
}
