/**
 * The values the type-semantics kit stores in every source: per type, a
 * table `v_<type> (id, v)` whose rows hold the values where engines tend to
 * disagree — extremes, NULL, NaN and ±Infinity, padded and non-ASCII
 * strings, dates and timestamps at the edges — with the DDL type each
 * source stores it as. A source that cannot hold a value (MariaDB has no NaN)
 * stores the others; the PostgreSQL oracle holds exactly each source's rows.
 */

/** The sources the kit spreads each type over. */
export const TYPE_SOURCES = ['pg', 'maria', 'duck', 'parq', 'lance', 'snow'] as const;
/** One of {@link TYPE_SOURCES}. */
export type TypeSource = (typeof TYPE_SOURCES)[number];

/** One value: its SQL text for PostgreSQL and DuckDB, and MariaDB's when it differs (`undefined`: cannot store). */
export interface TypedValue {
  readonly sql: string;
  readonly maria?: string | undefined;
}

/** One type under test. */
export interface TypeCase {
  /** The table is `v_<name>`. */
  readonly name: string;
  /** The DDL type per engine; a source without it (`character(n)` outside PostgreSQL and MariaDB) is left out. */
  readonly ddl: { readonly pg: string; readonly maria: string; readonly duck?: string };
  /** The rows' values, `null` for NULL; row ids are 1, 2, … in this order. */
  readonly values: readonly (TypedValue | string | null)[];
  /** A literal the filters compare with. */
  readonly literal: string;
  /** Whether sum/avg apply. */
  readonly numeric?: boolean;
  /** Whether min/max, `<` and ORDER BY apply (not boolean: PostgreSQL has no min(boolean)). */
  readonly ordered: boolean;
  /** Whether string functions (upper, lower, length, LIKE) apply. */
  readonly text?: boolean;
}

const ts = (text: string): TypedValue => ({ sql: `TIMESTAMP '${text}'` });
/** MariaDB reads a TIMESTAMP literal in the session time zone, which the kit sets to UTC. */
const tstz = (utc: string): TypedValue => ({ sql: `TIMESTAMPTZ '${utc}+00'`, maria: `'${utc}'` });
const float = (text: string, storable = true): TypedValue => ({
  sql: `CAST('${text}' AS DOUBLE PRECISION)`,
  maria: storable ? text : undefined,
});
const str = (text: string): TypedValue => ({ sql: `'${text}'` });

/** The types, each with the values worth storing. */
export const TYPE_CASES: readonly TypeCase[] = [
  {
    name: 'int4',
    ddl: { pg: 'integer', maria: 'INT', duck: 'INTEGER' },
    values: ['-2147483648', '2147483647', '0', '7', '-1', null],
    literal: '7',
    numeric: true,
    ordered: true,
  },
  {
    name: 'int8',
    ddl: { pg: 'bigint', maria: 'BIGINT', duck: 'BIGINT' },
    values: ['-9223372036854775808', '9223372036854775807', '0', '42', '-42', null],
    literal: '42',
    numeric: true,
    ordered: true,
  },
  {
    name: 'numeric',
    ddl: { pg: 'numeric(18,4)', maria: 'DECIMAL(18,4)', duck: 'DECIMAL(18,4)' },
    values: ['99999999999999.9999', '-99999999999999.9999', '0', '1.5', '-1.5', '0.0001', '12.25', null],
    literal: '1.5',
    numeric: true,
    ordered: true,
  },
  {
    name: 'float8',
    ddl: { pg: 'double precision', maria: 'DOUBLE', duck: 'DOUBLE' },
    values: [
      float('NaN', false),
      float('Infinity', false),
      float('-Infinity', false),
      float('0'),
      float('-1.5'),
      float('2.5'),
      float('1e300'),
      float('0.1'),
      null,
    ],
    literal: 'CAST(2.5 AS DOUBLE PRECISION)',
    numeric: true,
    ordered: true,
  },
  {
    name: 'text',
    ddl: { pg: 'varchar(20)', maria: 'VARCHAR(20) CHARACTER SET utf8mb4', duck: 'VARCHAR' },
    values: ['', ' ', 'a', 'A', 'a ', ' a', 'b', 'ab', 'ß', 'ü', 'Ü', 'é', 'z', 'a_b', null].map((v) =>
      v === null ? null : str(v),
    ),
    literal: "'a'",
    ordered: true,
    text: true,
  },
  {
    name: 'bpchar',
    ddl: { pg: 'character(5)', maria: 'CHAR(5) CHARACTER SET utf8mb4' },
    values: ['a', 'a  ', 'ab', '', 'A', ' a', null].map((v) => (v === null ? null : str(v))),
    literal: "'a'",
    ordered: true,
    text: true,
  },
  {
    name: 'bool',
    ddl: { pg: 'boolean', maria: 'BOOLEAN', duck: 'BOOLEAN' },
    values: ['true', 'false', 'true', null],
    literal: 'true',
    ordered: false,
  },
  {
    name: 'date',
    ddl: { pg: 'date', maria: 'DATE', duck: 'DATE' },
    values: ['1970-01-01', '2000-02-29', '9999-12-31', '1000-01-01', '2024-06-15', null].map((v) =>
      v === null ? null : { sql: `DATE '${v}'`, maria: `'${v}'` },
    ),
    literal: "DATE '2000-02-29'",
    ordered: true,
  },
  {
    name: 'timestamp',
    ddl: { pg: 'timestamp', maria: 'DATETIME(6)', duck: 'TIMESTAMP' },
    values: [
      ts('2024-03-10 02:30:00'),
      ts('1970-01-01 00:00:00'),
      ts('2000-01-01 12:34:56.789012'),
      ts('2038-01-19 03:14:08'),
      ts('1999-12-31 23:59:59.999999'),
      null,
    ].map((v) => v && { sql: v.sql, maria: v.sql.replace(/^TIMESTAMP /, '') }),
    literal: "TIMESTAMP '2000-01-01 12:34:56.789012'",
    ordered: true,
  },
  {
    name: 'timestamptz',
    ddl: { pg: 'timestamptz', maria: 'TIMESTAMP(6) NULL', duck: 'TIMESTAMPTZ' },
    values: [
      tstz('2024-03-10 02:30:00'),
      tstz('1970-01-01 00:00:01'),
      tstz('2000-01-01 12:34:56.789012'),
      tstz('2021-06-01 19:00:00'),
      null,
    ],
    literal: "TIMESTAMPTZ '2000-01-01 14:34:56.789012+02'",
    ordered: true,
  },
];

/** Whether `source` stores the type at all. */
export function sourceHolds(type: TypeCase, source: TypeSource): boolean {
  return source === 'pg' || source === 'maria' || type.ddl.duck !== undefined;
}

/** The `(id, value)` rows `source` stores for `type`, values as SQL text for its engine (`maria` or PostgreSQL/DuckDB). */
export function rowsFor(type: TypeCase, source: TypeSource): [number, string][] {
  const rows: [number, string][] = [];
  type.values.forEach((value, i) => {
    if (value === null) return rows.push([i + 1, 'NULL']);
    const v = typeof value === 'string' ? { sql: value } : value;
    if (source === 'maria') {
      if ('maria' in v && v.maria === undefined) return;
      return rows.push([i + 1, v.maria ?? v.sql]);
    }
    rows.push([i + 1, v.sql]);
  });
  return rows;
}

/** The same rows as PostgreSQL text, for the oracle's copy of `source`'s table. */
export function oracleRowsFor(type: TypeCase, source: TypeSource): [number, string][] {
  const ids = new Set(rowsFor(type, source).map(([id]) => id));
  return rowsFor(type, 'pg').filter(([id]) => ids.has(id));
}
