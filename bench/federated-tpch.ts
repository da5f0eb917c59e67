/**
 * Federated TPC-H-shaped queries against DuckDB on local copies of the same data.
 *
 *   node --import tsx bench/federated-tpch.ts [scale=0.1]
 *   npm run bench -w @spoke/bench -- federated-tpch
 *
 * TPC-H-shaped tables are generated with plain DuckDB SQL (deterministic:
 * `hash()` over `range()`; the tpch extension would need a download) and split
 * across three sources the way a lakehouse holds them:
 *
 * | source | system                     | tables             |
 * | ------ | -------------------------- | ------------------ |
 * | `pg`   | PostgreSQL (harness)       | lineitem, orders   |
 * | `crm`  | a DuckDB database file     | customer, supplier |
 * | `lake` | Parquet files (DuckDB)     | nation, region, part |
 *
 * Q1, Q3, Q5, Q10, Q12, Q14 and Q19 run through `createEngine({ sources })`
 * and, as the same SQL text, in a reference DuckDB holding every table in
 * memory under the same `source.table` names (`ATTACH ':memory:' AS pg`…).
 * Every answer must be equal (floating aggregates within a relative 1e-9).
 * Per query it prints both times (best of 3), the ratio, the rows each source
 * sent (counted by wrapping the connectors' `scan()` and `sql.execute()`),
 * what EXPLAIN says each source was asked, and — for the scans of the big
 * tables — how many rows a dynamic IN-list filter on the join keys would have
 * left (the planner does not filter dynamically yet). The target
 * (ARCHITECTURE.md) is a total time ≤ 5× DuckDB's.
 */
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { connector as postgresConnector } from '@spoke/connector-postgres';
import type { Expr, RecordBatch, ScanRequest, SpokeConnector, SpokeTable } from '@spoke/core';
import { collectBatches, createEngine, type ExplainPlan, type FederatedEngine } from '@spoke/planner';
import {
  type CanonicalRow,
  type CanonicalValue,
  canonicalRowsFromBatches,
  canonicalRowsFromDuckDB,
  diffRows,
  formatRow,
} from '@spoke/sdk/testing';
import { type PostgresServer, startPostgres } from '../test/harness/index.js';
import { type Bench, best, printTable, time } from './harness.js';

const RUNS = 3;
/** Relative tolerance for floating aggregates (avg, decimal division): both sides sum in a different order. */
const TOLERANCE = 1e-9;

/** One benchmark query, and the rows a dynamic join-key filter would leave on its big scans. */
interface Query {
  readonly name: string;
  readonly sql: string;
  /**
   * `source.table` → SQL (run in the reference) counting the rows that scan
   * would send if the other side's join keys were pushed to it as an IN-list
   * on top of its own filters.
   */
  readonly dynamic?: Readonly<Record<string, string>>;
}

// TPC-H's substitution parameters are the spec's validation values; dates are
// literals (what qgen emits after evaluating `date 'x' - interval 'n' day`).
const QUERIES: readonly Query[] = [
  {
    name: 'Q1',
    sql: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
  sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
  sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
  avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
FROM pg.lineitem
WHERE l_shipdate <= DATE '1998-09-02'
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus`,
  },
  {
    name: 'Q3',
    sql: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
FROM crm.customer, pg.orders, pg.lineitem
WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15'
GROUP BY l_orderkey, o_orderdate, o_shippriority
ORDER BY revenue DESC, o_orderdate
LIMIT 10`,
    dynamic: {
      'pg.orders': `SELECT count(*) FROM pg.orders WHERE o_orderdate < DATE '1995-03-15'
        AND o_custkey IN (SELECT c_custkey FROM crm.customer WHERE c_mktsegment = 'BUILDING')`,
      'pg.lineitem': `SELECT count(*) FROM pg.lineitem WHERE l_shipdate > DATE '1995-03-15'
        AND l_orderkey IN (SELECT o_orderkey FROM pg.orders WHERE o_orderdate < DATE '1995-03-15'
          AND o_custkey IN (SELECT c_custkey FROM crm.customer WHERE c_mktsegment = 'BUILDING'))`,
    },
  },
  {
    name: 'Q5',
    sql: `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM crm.customer, pg.orders, pg.lineitem, crm.supplier, lake.nation, lake.region
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey
  AND c_nationkey = s_nationkey AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey
  AND r_name = 'ASIA' AND o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1995-01-01'
GROUP BY n_name
ORDER BY revenue DESC`,
    dynamic: {
      'pg.orders': `SELECT count(*) FROM pg.orders WHERE o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1995-01-01'
        AND o_custkey IN (SELECT c_custkey FROM crm.customer JOIN lake.nation ON c_nationkey = n_nationkey
          JOIN lake.region ON n_regionkey = r_regionkey WHERE r_name = 'ASIA')`,
      'pg.lineitem': `SELECT count(*) FROM pg.lineitem
        WHERE l_orderkey IN (SELECT o_orderkey FROM pg.orders WHERE o_orderdate >= DATE '1994-01-01' AND o_orderdate < DATE '1995-01-01'
          AND o_custkey IN (SELECT c_custkey FROM crm.customer JOIN lake.nation ON c_nationkey = n_nationkey
            JOIN lake.region ON n_regionkey = r_regionkey WHERE r_name = 'ASIA'))
        AND l_suppkey IN (SELECT s_suppkey FROM crm.supplier JOIN lake.nation ON s_nationkey = n_nationkey
          JOIN lake.region ON n_regionkey = r_regionkey WHERE r_name = 'ASIA')`,
    },
  },
  {
    name: 'Q10',
    sql: `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name,
  c_address, c_phone, c_comment
FROM crm.customer, pg.orders, pg.lineitem, lake.nation
WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey
  AND o_orderdate >= DATE '1993-10-01' AND o_orderdate < DATE '1994-01-01'
  AND l_returnflag = 'R' AND c_nationkey = n_nationkey
GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
ORDER BY revenue DESC
LIMIT 20`,
    dynamic: {
      'pg.lineitem': `SELECT count(*) FROM pg.lineitem WHERE l_returnflag = 'R'
        AND l_orderkey IN (SELECT o_orderkey FROM pg.orders WHERE o_orderdate >= DATE '1993-10-01' AND o_orderdate < DATE '1994-01-01')`,
    },
  },
  {
    name: 'Q12',
    sql: `SELECT l_shipmode,
  sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
  sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
FROM pg.orders, pg.lineitem
WHERE o_orderkey = l_orderkey AND l_shipmode IN ('MAIL', 'SHIP')
  AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
  AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1995-01-01'
GROUP BY l_shipmode
ORDER BY l_shipmode`,
  },
  {
    name: 'Q14',
    sql: `SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
  / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue
FROM pg.lineitem, lake.part
WHERE l_partkey = p_partkey AND l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE '1995-10-01'`,
  },
  {
    name: 'Q19',
    sql: `SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue
FROM pg.lineitem, lake.part
WHERE (p_partkey = l_partkey AND p_brand = 'Brand#12' AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
    AND l_quantity >= 1 AND l_quantity <= 1 + 10 AND p_size BETWEEN 1 AND 5
    AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
  OR (p_partkey = l_partkey AND p_brand = 'Brand#23' AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
    AND l_quantity >= 10 AND l_quantity <= 10 + 10 AND p_size BETWEEN 1 AND 10
    AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
  OR (p_partkey = l_partkey AND p_brand = 'Brand#34' AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
    AND l_quantity >= 20 AND l_quantity <= 20 + 10 AND p_size BETWEEN 1 AND 15
    AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')`,
    dynamic: {
      'pg.lineitem': `SELECT count(*) FROM pg.lineitem WHERE l_shipmode IN ('AIR', 'AIR REG')
        AND l_shipinstruct = 'DELIVER IN PERSON' AND l_quantity BETWEEN 1 AND 30
        AND l_partkey IN (SELECT p_partkey FROM lake.part WHERE p_brand IN ('Brand#12', 'Brand#23', 'Brand#34')
          AND p_size BETWEEN 1 AND 15)`,
    },
  },
];

/** Column lists of the tables PostgreSQL holds (the DuckDB tables are created with the same types). */
const PG_DDL = `
CREATE TABLE orders (
  o_orderkey integer PRIMARY KEY, o_custkey integer NOT NULL, o_orderstatus varchar NOT NULL,
  o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL, o_orderpriority varchar NOT NULL,
  o_clerk varchar NOT NULL, o_shippriority integer NOT NULL, o_comment varchar NOT NULL);
CREATE TABLE lineitem (
  l_orderkey integer NOT NULL, l_partkey integer NOT NULL, l_suppkey integer NOT NULL, l_linenumber integer NOT NULL,
  l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,
  l_tax numeric(15,2) NOT NULL, l_returnflag varchar NOT NULL, l_linestatus varchar NOT NULL, l_shipdate date NOT NULL,
  l_commitdate date NOT NULL, l_receiptdate date NOT NULL, l_shipinstruct varchar NOT NULL, l_shipmode varchar NOT NULL,
  l_comment varchar NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber));`;

/**
 * DuckDB statements generating the tables into the attached `pg`, `crm` and
 * `lake` databases. `h(i, 'salt')` is a deterministic pseudo-random UBIGINT;
 * money is built as exact decimals (cents × 0.01), never through floats.
 */
function generateSql(scale: number): string[] {
  const customers = Math.round(150_000 * scale);
  const orders = Math.round(1_500_000 * scale);
  const parts = Math.round(200_000 * scale);
  const suppliers = Math.round(10_000 * scale);
  const cents = (x: string) => `CAST(CAST(${x} AS DECIMAL(18,0)) * 0.01 AS DECIMAL(15,2))`;
  const pick = (list: readonly string[], i: string, salt: string) =>
    `[${list.map((s) => `'${s}'`).join(', ')}][1 + CAST(hash(${i}, '${salt}') % ${list.length} AS INTEGER)]`;
  const text = (i: string, salt: string, min: number, spread: number) =>
    `substr(md5(CAST(${i} AS VARCHAR) || '${salt}') || md5('${salt}' || CAST(${i} AS VARCHAR)), 1, ${min} + CAST(hash(${i}, '${salt}len') % ${spread} AS INTEGER))`;
  const phone = (i: string, nation: string) =>
    `CAST(10 + ${nation} AS VARCHAR) || '-' || CAST(100 + hash(${i}, 'p1') % 900 AS VARCHAR) || '-' || CAST(100 + hash(${i}, 'p2') % 900 AS VARCHAR) || '-' || CAST(1000 + hash(${i}, 'p3') % 9000 AS VARCHAR)`;
  const retailCents = (partkey: string) =>
    `(90000 + ((${partkey} // 10) % 20001) + 100 * (${partkey} % 1000))`;
  const regions = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
  const nations: [string, number][] = [
    ['ALGERIA', 0],
    ['ARGENTINA', 1],
    ['BRAZIL', 1],
    ['CANADA', 1],
    ['EGYPT', 4],
    ['ETHIOPIA', 0],
    ['FRANCE', 3],
    ['GERMANY', 3],
    ['INDIA', 2],
    ['INDONESIA', 2],
    ['IRAN', 4],
    ['IRAQ', 4],
    ['JAPAN', 2],
    ['JORDAN', 4],
    ['KENYA', 0],
    ['MOROCCO', 0],
    ['MOZAMBIQUE', 0],
    ['PERU', 1],
    ['CHINA', 2],
    ['ROMANIA', 3],
    ['SAUDI ARABIA', 4],
    ['VIETNAM', 2],
    ['RUSSIA', 3],
    ['UNITED KINGDOM', 3],
    ['UNITED STATES', 1],
  ];
  const colors = [
    'almond',
    'azure',
    'blush',
    'chartreuse',
    'coral',
    'cyan',
    'forest',
    'ivory',
    'khaki',
    'lavender',
    'linen',
    'magenta',
    'navy',
    'olive',
    'orchid',
    'peach',
    'plum',
    'salmon',
    'tan',
    'violet',
  ];
  return [
    `CREATE TABLE lake.region AS SELECT CAST(k AS INTEGER) AS r_regionkey, name AS r_name, ${text('k', 'rc', 20, 40)} AS r_comment
     FROM (VALUES ${regions.map((r, k) => `(${k}, '${r}')`).join(', ')}) t(k, name)`,
    `CREATE TABLE lake.nation AS SELECT CAST(k AS INTEGER) AS n_nationkey, name AS n_name, CAST(region AS INTEGER) AS n_regionkey,
       ${text('k', 'nc', 20, 60)} AS n_comment
     FROM (VALUES ${nations.map(([n, r], k) => `(${k}, '${n}', ${r})`).join(', ')}) t(k, name, region)`,
    `CREATE TABLE lake.part AS SELECT CAST(i AS INTEGER) AS p_partkey,
       ${pick(colors, 'i', 'pn1')} || ' ' || ${pick(colors, 'i', 'pn2')} || ' ' || ${pick(colors, 'i', 'pn3')} AS p_name,
       'Manufacturer#' || CAST(m AS VARCHAR) AS p_mfgr,
       'Brand#' || CAST(m AS VARCHAR) || CAST(1 + hash(i, 'pb') % 5 AS VARCHAR) AS p_brand,
       ${pick(['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'], 'i', 'pt1')} || ' '
         || ${pick(['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'], 'i', 'pt2')} || ' '
         || ${pick(['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'], 'i', 'pt3')} AS p_type,
       CAST(1 + hash(i, 'ps') % 50 AS INTEGER) AS p_size,
       ${pick(['SM', 'LG', 'MED', 'JUMBO', 'WRAP'], 'i', 'pc1')} || ' '
         || ${pick(['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'], 'i', 'pc2')} AS p_container,
       ${cents(retailCents('i'))} AS p_retailprice,
       ${text('i', 'pcm', 5, 18)} AS p_comment
     FROM (SELECT i, 1 + hash(i, 'pm') % 5 AS m FROM range(1, ${parts + 1}) t(i))`,
    `CREATE TABLE crm.supplier AS SELECT CAST(i AS INTEGER) AS s_suppkey, 'Supplier#' || lpad(CAST(i AS VARCHAR), 9, '0') AS s_name,
       ${text('i', 'sa', 10, 30)} AS s_address, CAST(n AS INTEGER) AS s_nationkey, ${phone('i', 'n')} AS s_phone,
       ${cents("CAST(hash(i, 'sb') % 1099999 AS BIGINT) - 99999")} AS s_acctbal, ${text('i', 'sc', 25, 75)} AS s_comment
     FROM (SELECT i, hash(i, 'sn') % 25 AS n FROM range(1, ${suppliers + 1}) t(i))`,
    `CREATE TABLE crm.customer AS SELECT CAST(i AS INTEGER) AS c_custkey, 'Customer#' || lpad(CAST(i AS VARCHAR), 9, '0') AS c_name,
       ${text('i', 'ca', 10, 30)} AS c_address, CAST(n AS INTEGER) AS c_nationkey, ${phone('i', 'n')} AS c_phone,
       ${cents("CAST(hash(i, 'cb') % 1099999 AS BIGINT) - 99999")} AS c_acctbal,
       ${pick(['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'], 'i', 'cs')} AS c_mktsegment,
       ${text('i', 'cc', 29, 88)} AS c_comment
     FROM (SELECT i, hash(i, 'cn') % 25 AS n FROM range(1, ${customers + 1}) t(i))`,
    `CREATE TABLE pg.orders AS SELECT CAST(i AS INTEGER) AS o_orderkey, CAST(1 + hash(i, 'oc') % ${customers} AS INTEGER) AS o_custkey,
       ${pick(['F', 'O', 'P'], 'i', 'os')} AS o_orderstatus,
       ${cents("CAST(100000 + hash(i, 'ot') % 50000000 AS BIGINT)")} AS o_totalprice,
       DATE '1992-01-01' + CAST(hash(i, 'od') % 2406 AS INTEGER) AS o_orderdate,
       ${pick(['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'], 'i', 'op')} AS o_orderpriority,
       'Clerk#' || lpad(CAST(1 + hash(i, 'ok') % ${Math.max(1, Math.round(1000 * scale))} AS VARCHAR), 9, '0') AS o_clerk,
       CAST(0 AS INTEGER) AS o_shippriority, ${text('i', 'ocm', 19, 60)} AS o_comment
     FROM range(1, ${orders + 1}) t(i)`,
    `CREATE TABLE pg.lineitem AS SELECT l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity,
       ${cents(`CAST(l_quantity AS BIGINT) * ${retailCents('l_partkey')}`)} AS l_extendedprice, l_discount, l_tax,
       CASE WHEN l_receiptdate <= DATE '1995-06-17' THEN CASE WHEN hash(k, 'rf') % 2 = 0 THEN 'R' ELSE 'A' END ELSE 'N' END AS l_returnflag,
       CASE WHEN l_shipdate > DATE '1995-06-17' THEN 'O' ELSE 'F' END AS l_linestatus,
       l_shipdate, l_commitdate, l_receiptdate, l_shipinstruct, l_shipmode, l_comment
     FROM (SELECT k, l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity, l_discount, l_tax, l_shipdate, l_commitdate,
             l_shipdate + CAST(1 + hash(k, 'lr') % 30 AS INTEGER) AS l_receiptdate, l_shipinstruct, l_shipmode, l_comment
           FROM (SELECT o_orderkey * 8 + n AS k, o_orderkey AS l_orderkey,
                   CAST(1 + hash(o_orderkey * 8 + n, 'lp') % ${parts} AS INTEGER) AS l_partkey,
                   CAST(1 + hash(o_orderkey * 8 + n, 'ls') % ${suppliers} AS INTEGER) AS l_suppkey,
                   CAST(n AS INTEGER) AS l_linenumber,
                   CAST(1 + hash(o_orderkey * 8 + n, 'lq') % 50 AS DECIMAL(15,2)) AS l_quantity,
                   ${cents("hash(o_orderkey * 8 + n, 'ld') % 11")} AS l_discount,
                   ${cents("hash(o_orderkey * 8 + n, 'lt') % 9")} AS l_tax,
                   o_orderdate + CAST(1 + hash(o_orderkey * 8 + n, 'lsd') % 121 AS INTEGER) AS l_shipdate,
                   o_orderdate + CAST(30 + hash(o_orderkey * 8 + n, 'lcd') % 61 AS INTEGER) AS l_commitdate,
                   ${pick(['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'], 'o_orderkey * 8 + n', 'li')} AS l_shipinstruct,
                   ${pick(['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'], 'o_orderkey * 8 + n', 'lm')} AS l_shipmode,
                   ${text('o_orderkey * 8 + n', 'lc', 10, 33)} AS l_comment
                 FROM pg.orders, range(1, 8) r(n)
                 WHERE n <= 1 + hash(o_orderkey, 'lines') % 7))
     ORDER BY l_orderkey, l_linenumber`,
  ];
}

/**
 * Rows each source sent, by `source.table` for scans and `source (sql)` for
 * pushed-down queries, and the seconds the engine spent waiting on those
 * streams (inside their `next()`: the source's own work, the transfer and the
 * decoding to Arrow — not the engine's loading of what it got).
 */
class RowCounter {
  readonly rows = new Map<string, number>();
  waited = 0;
  add(key: string, n: number): void {
    this.rows.set(key, (this.rows.get(key) ?? 0) + n);
  }
  reset(): void {
    this.rows.clear();
    this.waited = 0;
  }
  /** Rows from one source, all its tables and queries together. */
  fromSource(source: string): number {
    let n = 0;
    for (const [key, rows] of this.rows) if (key.split(/[. ]/)[0] === source) n += rows;
    return n;
  }
}

async function* counted(
  counter: RowCounter,
  key: string,
  batches: AsyncIterable<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  counter.add(key, 0);
  const iterator = batches[Symbol.asyncIterator]();
  try {
    for (;;) {
      const start = process.hrtime.bigint();
      const next = await iterator.next();
      counter.waited += Number(process.hrtime.bigint() - start) / 1e9;
      if (next.done) return;
      counter.add(key, next.value.numRows);
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

/**
 * `column IN (integer literals…)`: the shape of a dynamic join-key filter.
 * The queries' own IN-lists are all text, so with `--no-dynamic-filters`
 * dropping these from a scan request removes exactly the planner's dynamic
 * filters (the join in DuckDB re-applies them, so answers stay correct).
 */
function isKeyList(filter: Expr): boolean {
  return (
    filter.kind === 'in' &&
    !filter.negated &&
    filter.expr.kind === 'column' &&
    filter.list.every(
      (e) => e.kind === 'literal' && (typeof e.value === 'bigint' || Number.isInteger(e.value)),
    )
  );
}

/** Reads `name` off `target`, methods bound to it (connectors keep private fields, so `this` must stay the target). */
function passThrough(target: object, name: string | symbol): unknown {
  const value = Reflect.get(target, name, target);
  return typeof value === 'function' ? value.bind(target) : value;
}

/**
 * The connector as the engine sees it, except that every batch its tables'
 * `scan()` and its `sql.execute()` yield is counted — the rows that crossed
 * from the source into the gateway.
 */
function countingConnector(
  source: string,
  connector: SpokeConnector,
  counter: RowCounter,
  dropKeyLists: boolean,
): SpokeConnector {
  const wrapTable = (table: SpokeTable): SpokeTable =>
    new Proxy(table, {
      get: (target, name) =>
        name === 'scan'
          ? (request: ScanRequest) =>
              counted(
                counter,
                `${source}.${target.name}`,
                target.scan(
                  dropKeyLists
                    ? { ...request, filters: request.filters.filter((f) => !isKeyList(f)) }
                    : request,
                ),
              )
          : passThrough(target, name),
    });
  const catalog = new Proxy(connector.catalog, {
    get: (target, name) =>
      name === 'getTable'
        ? async (schema: string, table: string, signal?: AbortSignal) => {
            const found = await target.getTable(schema, table, signal);
            return found && wrapTable(found);
          }
        : passThrough(target, name),
  });
  const sql =
    connector.sql &&
    new Proxy(connector.sql, {
      get: (target, name) =>
        name === 'execute'
          ? (...args: Parameters<NonNullable<SpokeConnector['sql']>['execute']>) =>
              counted(counter, `${source} (sql)`, target.execute(...args))
          : passThrough(target, name),
    });
  return new Proxy(connector, {
    get: (target, name) => (name === 'catalog' ? catalog : name === 'sql' ? sql : passThrough(target, name)),
  });
}

/** A number when the canonical value is numeric (float, integer, or decimal text), else undefined. */
function numeric(v: CanonicalValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return undefined;
}

/**
 * `exact` when the multisets of canonical rows are equal; `≈` when, in
 * order, every value is equal or (numbers, whatever their Arrow type) within
 * the relative tolerance — an unconstrained PostgreSQL numeric arrives as
 * exact text, DuckDB's avg of decimals is a double; otherwise the first
 * difference.
 */
function compare(
  actual: readonly CanonicalRow[],
  expected: readonly CanonicalRow[],
): { equal: boolean; how: string } {
  const diff = diffRows(actual, expected);
  if (diff.extra.length === 0 && diff.missing.length === 0) return { equal: true, how: 'exact' };
  if (actual.length !== expected.length) {
    return { equal: false, how: `${actual.length} rows, expected ${expected.length}` };
  }
  for (let r = 0; r < actual.length; r++) {
    const a = actual[r]!;
    const e = expected[r]!;
    const same =
      a.length === e.length &&
      a.every((v, c) => {
        const w = e[c]!;
        if (v === w) return true;
        const x = numeric(v);
        const y = numeric(w);
        return (
          x !== undefined &&
          y !== undefined &&
          Math.abs(x - y) <= TOLERANCE * Math.max(1, Math.abs(x), Math.abs(y))
        );
      });
    if (!same) return { equal: false, how: `row ${r}: ${formatRow(a)} vs DuckDB ${formatRow(e)}` };
  }
  return { equal: true, how: `≈${TOLERANCE}` };
}

/** Runs `sql` on the reference connection, rows in canonical form. */
async function referenceRows(connection: DuckDBConnection, sql: string): Promise<CanonicalRow[]> {
  const result = await connection.run(sql);
  const chunks = await result.fetchAllChunks();
  return canonicalRowsFromDuckDB(
    chunks,
    result.columnTypes().map((t) => /INT/.test(String(t))),
  );
}

/** What EXPLAIN says each source is asked, one line per request, with the rows it sent. */
function describePlan(
  plan: ExplainPlan,
  counter: RowCounter,
  dynamic: Readonly<Record<string, number>>,
): string[] {
  return plan.sources.map((s) => {
    if (s.kind === 'sql') {
      const sql = s.sql!.replace(/\s+/g, ' ');
      return `    ${s.source} SQL (${(counter.rows.get(`${s.source} (sql)`) ?? 0).toLocaleString('en')} rows): ${sql.length > 240 ? `${sql.slice(0, 240)}…` : sql}`;
    }
    const table = s.table!.split('.').pop()!;
    const key = `${s.source}.${table}`;
    const filters = s.filters.map((f) => `${f.sql} [${f.support}]`).join(' AND ') || '(none: whole table)';
    const ideal =
      dynamic[key] !== undefined ? `; ${dynamic[key]!.toLocaleString('en')} join with the rest` : '';
    // `dynamicFilters` is newer than some planner builds: read it when EXPLAIN has it.
    const keys = (s as { dynamicFilters?: readonly string[] }).dynamicFilters ?? [];
    const planned = keys.length ? `; dynamic: ${keys.join(', ')}` : '';
    return `    ${key} scan (${(counter.rows.get(key) ?? 0).toLocaleString('en')} rows sent${ideal}) columns ${s.columns.join(', ')}; filters ${filters}${planned}`;
  });
}

export const bench: Bench = {
  name: 'federated-tpch',
  description:
    'TPC-H-shaped Q1/Q3/Q5/Q10/Q12/Q14/Q19 over PostgreSQL + a DuckDB file + Parquet vs DuckDB on local copies (target: total ≤ 5×, every answer equal)',
  async run() {
    const scale = Number(process.argv.slice(2).find((a) => /^\d*\.?\d+$/.test(a)) ?? 0.1);
    const dropKeyLists = process.argv.includes('--no-dynamic-filters');
    const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-tpch-'));
    // psql runs as the `postgres` OS user when we are root: it must read the CSV files.
    chmodSync(dir, 0o755);
    let server: PostgresServer | undefined;
    let engine: FederatedEngine | undefined;
    const reference = await DuckDBInstance.create(':memory:');
    const ref = await reference.connect();
    try {
      const loadStart = [...loadavg()];
      // 1. Generate every table into the reference (each under its source's name), then export each source's copy.
      const generated = await time(async () => {
        for (const db of ['pg', 'crm', 'lake']) await ref.run(`ATTACH ':memory:' AS ${db}`);
        for (const sql of generateSql(scale)) await ref.run(sql);
      });
      const crmFile = join(dir, 'crm.duckdb');
      await ref.run(`ATTACH '${crmFile}' AS crm_file`);
      for (const t of ['customer', 'supplier'])
        await ref.run(`CREATE TABLE crm_file.${t} AS SELECT * FROM crm.${t}`);
      await ref.run('DETACH crm_file');
      for (const t of ['nation', 'region', 'part']) {
        await ref.run(`COPY lake.${t} TO '${join(dir, `${t}.parquet`)}' (FORMAT parquet)`);
      }
      for (const t of ['orders', 'lineitem']) {
        await ref.run(`COPY pg.${t} TO '${join(dir, `${t}.csv`)}' (FORMAT csv, HEADER true)`);
        chmodSync(join(dir, `${t}.csv`), 0o644);
      }

      server = await startPostgres({ settings: { shared_buffers: '512MB', work_mem: '64MB' } });
      const loaded = await time(async () => {
        server!.psql(
          `${PG_DDL}
\\copy orders FROM '${join(dir, 'orders.csv')}' WITH (FORMAT csv, HEADER true)
\\copy lineitem FROM '${join(dir, 'lineitem.csv')}' WITH (FORMAT csv, HEADER true)
VACUUM ANALYZE;`,
        );
      });
      const counts: Record<string, number> = {};
      for (const [db, t] of [
        ['pg', 'lineitem'],
        ['pg', 'orders'],
        ['crm', 'customer'],
        ['crm', 'supplier'],
        ['lake', 'part'],
        ['lake', 'nation'],
        ['lake', 'region'],
      ] as const) {
        counts[`${db}.${t}`] = Number((await referenceRows(ref, `SELECT count(*) FROM ${db}.${t}`))[0]![0]);
      }
      const pgCount = Number(server.psql('SELECT count(*) FROM lineitem').trim());
      if (pgCount !== counts['pg.lineitem'])
        throw new Error(`PostgreSQL holds ${pgCount} lineitem rows, DuckDB ${counts['pg.lineitem']}`);
      console.log(
        `scale ${scale}: ${Object.entries(counts)
          .map(([t, n]) => `${t} ${n.toLocaleString('en')}`)
          .join(', ')}`,
      );
      console.log(
        `generated in ${generated.toFixed(1)} s; PostgreSQL load (\\copy + VACUUM ANALYZE) ${loaded.toFixed(1)} s; ` +
          `crm.duckdb ${(statSync(crmFile).size / 2 ** 20).toFixed(1)} MB, part.parquet ${(statSync(join(dir, 'part.parquet')).size / 2 ** 20).toFixed(1)} MB`,
      );

      // 2. The engine over the three sources, each wrapped to count the rows it sends.
      const counter = new RowCounter();
      const context = { sourceName: '', baseDir: dir };
      engine = await createEngine({
        sources: {
          pg: countingConnector(
            'pg',
            await postgresConnector.create({ url: server.url }, { ...context, sourceName: 'pg' }),
            counter,
            dropKeyLists,
          ),
          crm: countingConnector(
            'crm',
            await duckdbConnector.create({ path: crmFile }, { ...context, sourceName: 'crm' }),
            counter,
            dropKeyLists,
          ),
          lake: countingConnector(
            'lake',
            await duckdbConnector.create(
              { files: { nation: 'nation.parquet', region: 'region.parquet', part: 'part.parquet' } },
              { ...context, sourceName: 'lake' },
            ),
            counter,
            dropKeyLists,
          ),
        },
        duckdb: { tempDirectory: join(dir, 'spill') },
      });

      // 3. Each query: one checked (and counted) run, then the best of 3 on each side.
      const rows: string[][] = [
        [
          'query',
          'Spoke s',
          'sources s',
          'DuckDB s',
          'ratio',
          'rows pg',
          'rows crm',
          'rows lake',
          'answer',
          'equal',
        ],
      ];
      const plans: string[] = [];
      let spokeTotal = 0;
      let duckTotal = 0;
      let waitedTotal = 0;
      let failures = 0;
      for (const q of QUERIES) {
        const e = engine;
        counter.reset();
        const actual = canonicalRowsFromBatches(await collectBatches(await e.query(q.sql)));
        const sent = new RowCounter();
        for (const [k, n] of counter.rows) sent.add(k, n);
        const expected = await referenceRows(ref, q.sql);
        const verdict = compare(actual, expected);
        if (!verdict.equal) failures++;
        // Best of RUNS, keeping the source wait of the fastest run.
        let spoke = Number.POSITIVE_INFINITY;
        let waited = 0;
        for (let r = 0; r < RUNS; r++) {
          counter.reset();
          const seconds = await time(async () => collectBatches(await e.query(q.sql)));
          if (seconds < spoke) [spoke, waited] = [seconds, counter.waited];
        }
        const duck = await best(RUNS, async () => (await ref.run(q.sql)).fetchAllChunks());
        spokeTotal += spoke;
        waitedTotal += waited;
        duckTotal += duck;
        const dynamic: Record<string, number> = {};
        for (const [key, sql] of Object.entries(q.dynamic ?? {})) {
          dynamic[key] = Number((await referenceRows(ref, sql))[0]![0]);
        }
        plans.push(`  ${q.name}:`, ...describePlan(await e.explain(q.sql), sent, dynamic));
        rows.push([
          q.name,
          spoke.toFixed(3),
          waited.toFixed(3),
          duck.toFixed(3),
          `${(spoke / duck).toFixed(1)}×`,
          sent.fromSource('pg').toLocaleString('en'),
          sent.fromSource('crm').toLocaleString('en'),
          sent.fromSource('lake').toLocaleString('en'),
          `${actual.length} rows`,
          verdict.equal ? verdict.how : `NO: ${verdict.how}`,
        ]);
      }
      rows.push([
        'total',
        spokeTotal.toFixed(3),
        waitedTotal.toFixed(3),
        duckTotal.toFixed(3),
        `${(spokeTotal / duckTotal).toFixed(1)}×`,
        '',
        '',
        '',
        '',
        failures === 0 ? 'all' : `${failures} differ`,
      ]);
      console.log();
      printTable(rows);
      console.log(
        `\ndynamic join-key filters: ${dropKeyLists ? 'dropped from every scan request (--no-dynamic-filters)' : 'as the planner sends them (compare with --no-dynamic-filters)'}`,
      );
      console.log(
        `total ratio ${(spokeTotal / duckTotal).toFixed(1)}× (target ≤ 5×); best of ${RUNS}; every answer equal: ${failures === 0 ? 'yes' : 'NO'}`,
      );
      console.log('\nWhat each source was asked (EXPLAIN) and the rows it sent:');
      for (const line of plans) console.log(line);
      const loadEnd = loadavg();
      console.log(
        `\nload average ${loadStart.map((l) => l.toFixed(2)).join(' ')} at the start, ${loadEnd.map((l) => l.toFixed(2)).join(' ')} at the end`,
      );
      if (failures > 0) process.exitCode = 1;
    } finally {
      await engine?.close();
      ref.closeSync();
      reference.closeSync();
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

// Run directly (`node --import tsx bench/federated-tpch.ts`); through run.ts, the runner calls run().
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await bench.run();
