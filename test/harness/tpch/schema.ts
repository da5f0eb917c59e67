/**
 * The eight TPC-H tables with the spec's column types (clause 1.4): CHAR(n)
 * and VARCHAR(n) text, DECIMAL(15,2) money and quantities, DATE dates,
 * integer identifiers.
 */

/** One column: its name and its spec type, as SQL. */
export interface TpchColumn {
  readonly name: string;
  readonly type: string;
}

/** The tables in dependency order, each with its columns. */
export const TPCH_TABLES: Readonly<Record<TpchTableName, readonly TpchColumn[]>> = {
  region: cols('r_regionkey INTEGER, r_name CHAR(25), r_comment VARCHAR(152)'),
  nation: cols('n_nationkey INTEGER, n_name CHAR(25), n_regionkey INTEGER, n_comment VARCHAR(152)'),
  part: cols(
    'p_partkey INTEGER, p_name VARCHAR(55), p_mfgr CHAR(25), p_brand CHAR(10), p_type VARCHAR(25), p_size INTEGER, p_container CHAR(10), p_retailprice DECIMAL(15,2), p_comment VARCHAR(23)',
  ),
  supplier: cols(
    's_suppkey INTEGER, s_name CHAR(25), s_address VARCHAR(40), s_nationkey INTEGER, s_phone CHAR(15), s_acctbal DECIMAL(15,2), s_comment VARCHAR(101)',
  ),
  partsupp: cols(
    'ps_partkey INTEGER, ps_suppkey INTEGER, ps_availqty INTEGER, ps_supplycost DECIMAL(15,2), ps_comment VARCHAR(199)',
  ),
  customer: cols(
    'c_custkey INTEGER, c_name VARCHAR(25), c_address VARCHAR(40), c_nationkey INTEGER, c_phone CHAR(15), c_acctbal DECIMAL(15,2), c_mktsegment CHAR(10), c_comment VARCHAR(117)',
  ),
  orders: cols(
    'o_orderkey INTEGER, o_custkey INTEGER, o_orderstatus CHAR(1), o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority CHAR(15), o_clerk CHAR(15), o_shippriority INTEGER, o_comment VARCHAR(79)',
  ),
  lineitem: cols(
    'l_orderkey INTEGER, l_partkey INTEGER, l_suppkey INTEGER, l_linenumber INTEGER, l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), l_tax DECIMAL(15,2), l_returnflag CHAR(1), l_linestatus CHAR(1), l_shipdate DATE, l_commitdate DATE, l_receiptdate DATE, l_shipinstruct CHAR(25), l_shipmode CHAR(10), l_comment VARCHAR(44)',
  ),
};

/** A TPC-H table name. */
export type TpchTableName =
  | 'region'
  | 'nation'
  | 'part'
  | 'supplier'
  | 'partsupp'
  | 'customer'
  | 'orders'
  | 'lineitem';

/** The table names, in load order. */
export const TPCH_TABLE_NAMES = Object.keys(TPCH_TABLES) as TpchTableName[];

function cols(list: string): TpchColumn[] {
  return list.split(', ').map((c) => {
    const space = c.indexOf(' ');
    return { name: c.slice(0, space), type: c.slice(space + 1) };
  });
}

/** `CREATE TABLE name (…)` with the spec's types (valid in PostgreSQL, MariaDB and DuckDB). */
export function createTableSql(table: TpchTableName, quote: (name: string) => string = (n) => n): string {
  const columns = TPCH_TABLES[table].map((c) => `${quote(c.name)} ${c.type} NOT NULL`);
  return `CREATE TABLE ${quote(table)} (${columns.join(', ')})`;
}

/** Primary keys (clause 1.4.2.2) and the columns of the spec's foreign keys, per table. */
const TPCH_KEYS: Readonly<Record<TpchTableName, { primary: string; indexed: readonly string[] }>> = {
  region: { primary: 'r_regionkey', indexed: [] },
  nation: { primary: 'n_nationkey', indexed: ['n_regionkey'] },
  part: { primary: 'p_partkey', indexed: [] },
  supplier: { primary: 's_suppkey', indexed: ['s_nationkey'] },
  partsupp: { primary: 'ps_partkey, ps_suppkey', indexed: ['ps_suppkey'] },
  customer: { primary: 'c_custkey', indexed: ['c_nationkey'] },
  orders: { primary: 'o_orderkey', indexed: ['o_custkey'] },
  lineitem: { primary: 'l_orderkey, l_linenumber', indexed: ['l_partkey', 'l_suppkey'] },
};

/**
 * The primary key and an index per foreign-key column of `table`, as a
 * database server holding TPC-H is set up (the spec allows both); statements
 * valid in PostgreSQL and MariaDB. Run after loading.
 */
export function keyIndexSql(table: TpchTableName): string[] {
  const keys = TPCH_KEYS[table];
  return [
    `ALTER TABLE ${table} ADD PRIMARY KEY (${keys.primary})`,
    ...keys.indexed.map((column) => `CREATE INDEX ${table}_${column} ON ${table} (${column})`),
  ];
}
