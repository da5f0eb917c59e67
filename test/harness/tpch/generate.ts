/**
 * A TPC-H data generator following dbgen's rules (spec clause 4.2.3): key
 * ranges and sparse order keys, the spec's distributions (types, containers,
 * segments, priorities, ship modes and instructions, the 92 part-name
 * colours), derived columns (retail price from the part key, extended price,
 * order status and total price from the order's lines, return flag and line
 * status from the dates), and comments cut from a grammar text pool. Written
 * as DuckDB SQL over `range()` with `hash()` as the random source, so a scale
 * factor always gives the same rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { createTableSql, TPCH_TABLE_NAMES } from './schema.js';
import { seededRandom, textPool } from './text-pool.js';

const COLORS = [
  'almond',
  'antique',
  'aquamarine',
  'azure',
  'beige',
  'bisque',
  'black',
  'blanched',
  'blue',
  'blush',
  'brown',
  'burlywood',
  'burnished',
  'chartreuse',
  'chiffon',
  'chocolate',
  'coral',
  'cornflower',
  'cornsilk',
  'cream',
  'cyan',
  'dark',
  'deep',
  'dim',
  'dodger',
  'drab',
  'firebrick',
  'floral',
  'forest',
  'frosted',
  'gainsboro',
  'ghost',
  'goldenrod',
  'green',
  'grey',
  'honeydew',
  'hot',
  'indian',
  'ivory',
  'khaki',
  'lace',
  'lavender',
  'lawn',
  'lemon',
  'light',
  'lime',
  'linen',
  'magenta',
  'maroon',
  'medium',
  'metallic',
  'midnight',
  'mint',
  'misty',
  'moccasin',
  'navajo',
  'navy',
  'olive',
  'orange',
  'orchid',
  'pale',
  'papaya',
  'peach',
  'peru',
  'pink',
  'plum',
  'powder',
  'puff',
  'purple',
  'red',
  'rose',
  'rosy',
  'royal',
  'saddle',
  'salmon',
  'sandy',
  'seashell',
  'sienna',
  'sky',
  'slate',
  'smoke',
  'snow',
  'spring',
  'steel',
  'tan',
  'thistle',
  'tomato',
  'turquoise',
  'violet',
  'wheat',
  'white',
  'yellow',
];
const REGIONS = ['AFRICA', 'AMERICA', 'ASIA', 'EUROPE', 'MIDDLE EAST'];
const NATIONS: readonly (readonly [string, number])[] = [
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
const TYPE_SYLLABLES = [
  ['STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO'],
  ['ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED'],
  ['TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'],
];
const CONTAINER_SYLLABLES = [
  ['SM', 'LG', 'MED', 'JUMBO', 'WRAP'],
  ['CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'],
];
const SEGMENTS = ['AUTOMOBILE', 'BUILDING', 'FURNITURE', 'HOUSEHOLD', 'MACHINERY'];
const PRIORITIES = ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'];
const INSTRUCTIONS = ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'];
const MODES = ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'];
/** Length of the grammar text pool (dbgen uses 300 MB; comments only need variety). */
const POOL = 400_000;
/**
 * The pool is held as overlapping pieces (each starts half a piece after the
 * last): a substring at a random offset of a random piece is one of the
 * pool's, and DuckDB's substr, which walks UTF-8 from the start, stays short.
 */
const PIECE = 1000;
const PIECES = POOL / (PIECE / 2) - 1;
const pieces = (s: string) =>
  Array.from({ length: PIECES }, (_, k) => s.slice((k * PIECE) / 2, (k * PIECE) / 2 + PIECE));

/** Row counts at `scale` (spec clause 4.2.5; nation and region are fixed). */
export function tpchCardinalities(scale: number) {
  return {
    supplier: Math.max(1, Math.round(10_000 * scale)),
    part: Math.max(1, Math.round(200_000 * scale)),
    customer: Math.max(1, Math.round(150_000 * scale)),
    orders: Math.max(1, Math.round(1_500_000 * scale)),
  };
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
/** A uniform integer in [lo, hi] from `hash(key, salt)`. */
const rnd = (key: string, salt: string, lo: number | string, hi: number | string) =>
  `(${lo} + CAST(hash(${key}, '${salt}') % (${hi} - ${lo} + 1) AS BIGINT))`;
/** A uniform pick from `list`. */
const pick = (list: readonly string[], key: string, salt: string) =>
  `[${list.map(lit).join(', ')}][${rnd(key, salt, 1, list.length)}]`;
/** A comment: `[min, max]` characters of the grammar pool at a random offset (dbgen's TEXT). */
const text = (key: string, salt: string, min: number, max: number) =>
  `trim(substr(pool.t[${rnd(key, `${salt}p`, 1, PIECES)}], ${rnd(key, `${salt}o`, 1, PIECE - max)}, ${rnd(key, `${salt}l`, min, max)}))`;
/** dbgen's V-string: `[min, max]` random alphanumeric characters (addresses). */
const vstring = (key: string, salt: string, min: number, max: number) =>
  `substr(pool.a[${rnd(key, `${salt}p`, 1, PIECES)}], ${rnd(key, `${salt}o`, 1, PIECE - max)}, ${rnd(key, `${salt}l`, min, max)})`;
/** A phone number: country code (nation + 10) and three random groups. */
const phone = (key: string, nation: string, salt: string) =>
  `CAST(${nation} + 10 AS VARCHAR) || '-' || ${rnd(key, `${salt}1`, 100, 999)} || '-' || ${rnd(key, `${salt}2`, 100, 999)} || '-' || ${rnd(key, `${salt}3`, 1000, 9999)}`;
/** Cents to DECIMAL(15,2), exactly. */
const money = (cents: string) => `CAST(CAST(${cents} AS DECIMAL(18,0)) / 100 AS DECIMAL(15,2))`;
/** The spec's retail price of part `p`, in cents. */
const retailCents = (p: string) => `(90000 + ((${p} // 10) % 20001) + 100 * (${p} % 1000))`;
/** The supplier of part `p` in its `i`-th (0–3) partsupp row (spec 4.2.3). */
const supplierOf = (p: string, i: string, s: number) =>
  `((${p} + (${i} * (${s} // 4 + (${p} - 1) // ${s}))) % ${s} + 1)`;

/**
 * Creates the eight tables, with the spec's types, in the connection's
 * current database and fills them at `scale` (0.01 → lineitem ≈ 60,000 rows).
 */
export async function generateTpch(conn: DuckDBConnection, scale: number): Promise<void> {
  const n = tpchCardinalities(scale);
  const random = seededRandom(7);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,. ';
  let alnum = '';
  while (alnum.length < POOL) alnum += alphabet[Math.floor(random() * alphabet.length)];
  await conn.run('CREATE TABLE pool (t VARCHAR[], a VARCHAR[])');
  const prepared = await conn.prepare('INSERT INTO pool VALUES ($1::JSON::VARCHAR[], $2::JSON::VARCHAR[])');
  prepared.bindVarchar(1, JSON.stringify(pieces(textPool(POOL))));
  prepared.bindVarchar(2, JSON.stringify(pieces(alnum)));
  await prepared.run();
  for (const table of TPCH_TABLE_NAMES) await conn.run(createTableSql(table));
  const startDate = "DATE '1992-01-01'";
  const currentDate = "DATE '1995-06-17'";
  // Order dates fall in [STARTDATE, ENDDATE - 151 days]: 1992-01-01 … 1998-08-02.
  const orderDays = 2405;
  const statements = [
    `INSERT INTO region SELECT k, name, ${text('k', 'rc', 31, 115)} FROM (VALUES ${REGIONS.map((r, k) => `(${k}, ${lit(r)})`).join(', ')}) v(k, name), pool`,
    `INSERT INTO nation SELECT k, name, r, ${text('k', 'nc', 31, 114)} FROM (VALUES ${NATIONS.map(([name, r], k) => `(${k}, ${lit(name)}, ${r})`).join(', ')}) v(k, name, r), pool`,
    // p_name: five distinct colours; p_mfgr M in [1,5]; p_brand M and N in [1,5].
    `INSERT INTO part SELECT i,
       colours,
       'Manufacturer#' || m, 'Brand#' || m || ${rnd('i', 'pb', 1, 5)},
       ${pick(TYPE_SYLLABLES[0]!, 'i', 'pt1')} || ' ' || ${pick(TYPE_SYLLABLES[1]!, 'i', 'pt2')} || ' ' || ${pick(TYPE_SYLLABLES[2]!, 'i', 'pt3')},
       ${rnd('i', 'ps', 1, 50)},
       ${pick(CONTAINER_SYLLABLES[0]!, 'i', 'pc1')} || ' ' || ${pick(CONTAINER_SYLLABLES[1]!, 'i', 'pc2')},
       ${money(retailCents('i'))}, ${text('i', 'pcm', 5, 22)}
     FROM (SELECT i, ${rnd('i', 'pm', 1, 5)} AS m,
             (SELECT array_to_string(list(c ORDER BY hash(i, c))[1:5], ' ') FROM unnest([${COLORS.map(lit).join(', ')}]) u(c)) AS colours
           FROM range(1, ${n.part + 1}) r(i)), pool`,
    // 5 in 10,000 suppliers complain, 5 recommend (Q16 looks for the complaints).
    `INSERT INTO supplier SELECT i, 'Supplier#' || lpad(CAST(i AS VARCHAR), 9, '0'), ${vstring('i', 'sa', 10, 40)}, nk,
       ${phone('i', 'nk', 'sp')}, ${money(rnd('i', 'sb', -99999, 999999))},
       CASE WHEN hash(i, 'scc') % 2000 = 0 THEN 'Customer ' || ${text('i', 'sx', 5, 20)} || ' Complaints'
            WHEN hash(i, 'scc') % 2000 = 1 THEN 'Customer ' || ${text('i', 'sx', 5, 20)} || ' Recommends'
            ELSE ${text('i', 'sc', 25, 100)} END
     FROM (SELECT i, ${rnd('i', 'sn', 0, 24)} AS nk FROM range(1, ${n.supplier + 1}) r(i)), pool`,
    `INSERT INTO partsupp SELECT p, ${supplierOf('p', 'j', n.supplier)}, ${rnd('p * 4 + j', 'pq', 1, 9999)},
       ${money(rnd('p * 4 + j', 'psc', 100, 100000))}, ${text('p * 4 + j', 'psm', 49, 198)}
     FROM range(1, ${n.part + 1}) r(p), range(0, 4) s(j), pool`,
    `INSERT INTO customer SELECT i, 'Customer#' || lpad(CAST(i AS VARCHAR), 9, '0'), ${vstring('i', 'ca', 10, 40)}, nk,
       ${phone('i', 'nk', 'cp')}, ${money(rnd('i', 'cb', -99999, 999999))}, ${pick(SEGMENTS, 'i', 'cs')}, ${text('i', 'cc', 29, 116)}
     FROM (SELECT i, ${rnd('i', 'cn', 0, 24)} AS nk FROM range(1, ${n.customer + 1}) r(i)), pool`,
    // Orders: sparse keys (the first 8 of every 32), customers whose key is not a multiple of 3.
    `CREATE TEMP TABLE o AS SELECT (k // 8) * 32 + (k % 8) + 1 AS okey,
       ${rnd('k', 'oc', 0, Math.floor((n.customer * 2) / 3) - 1)} AS c,
       ${startDate} + CAST(${rnd('k', 'od', 0, orderDays)} AS INTEGER) AS odate, ${rnd('k', 'ol', 1, 7)} AS lines
     FROM range(0, ${n.orders}) r(k)`,
    `CREATE TEMP TABLE l AS SELECT okey, ln, odate, partkey, ${supplierOf('partkey', 'si', n.supplier)} AS suppkey, qty,
       CAST(qty * ${money(retailCents('partkey'))} AS DECIMAL(15,2)) AS price,
       ${money(rnd('okey * 8 + ln', 'ld', 0, 10))} AS disc, ${money(rnd('okey * 8 + ln', 'lt', 0, 8))} AS tax,
       odate + CAST(${rnd('okey * 8 + ln', 'ls', 1, 121)} AS INTEGER) AS ship,
       odate + CAST(${rnd('okey * 8 + ln', 'lc', 30, 90)} AS INTEGER) AS commitd,
       okey * 8 + ln AS lk
     FROM (SELECT o.*, ln, ${rnd('okey * 8 + ln', 'lp', 1, n.part)} AS partkey, ${rnd('okey * 8 + ln', 'lsi', 0, 3)} AS si,
             ${rnd('okey * 8 + ln', 'lq', 1, 50)} AS qty
           FROM o, range(1, 8) t(ln) WHERE ln <= lines)`,
    `INSERT INTO lineitem SELECT okey, partkey, suppkey, ln, qty, price, disc, tax,
       CASE WHEN receipt <= ${currentDate} THEN CASE WHEN hash(lk, 'lr') % 2 = 0 THEN 'R' ELSE 'A' END ELSE 'N' END,
       CASE WHEN ship > ${currentDate} THEN 'O' ELSE 'F' END,
       ship, commitd, receipt, ${pick(INSTRUCTIONS, 'lk', 'li')}, ${pick(MODES, 'lk', 'lm')}, ${text('lk', 'lcm', 10, 43)}
     FROM (SELECT *, ship + CAST(${rnd('lk', 'lrd', 1, 30)} AS INTEGER) AS receipt FROM l), pool`,
    `INSERT INTO orders SELECT okey, 3 * (c // 2) + 1 + c % 2, status, total, odate,
       ${pick(PRIORITIES, 'okey', 'op')}, 'Clerk#' || lpad(CAST(${rnd('okey', 'ok', 1, Math.max(1, Math.round(1000 * scale)))} AS VARCHAR), 9, '0'),
       0, ${text('okey', 'ocm', 19, 78)}
     FROM (SELECT okey, c, odate,
             CASE WHEN bool_and(l_linestatus = 'F') THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS status,
             sum(CAST(l_extendedprice * (1 + l_tax) * (1 - l_discount) AS DECIMAL(15,2))) AS total
           FROM o JOIN lineitem ON l_orderkey = okey GROUP BY okey, c, odate), pool
     ORDER BY okey`,
    'DROP TABLE o',
    'DROP TABLE l',
    'DROP TABLE pool',
  ];
  for (const sql of statements) await conn.run(sql);
}
