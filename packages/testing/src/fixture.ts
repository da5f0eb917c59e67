import { arrow, type ScalarType, type ScalarValue, type Table, Types } from '@spoke/core';
import type { ExpressionDialect } from '@spoke/sdk';
import { arrowDataFromScalars } from './arrow-build.js';
import { daysToIso, microsToIso } from './temporal.js';

/** The name of the fixture table every connector's conformance setup creates. */
export const FIXTURE_TABLE = 'spoke_conformance';

/** The number of rows in the fixture. */
export const FIXTURE_ROW_COUNT = 200;

/** The kinds of value the fixture covers; a connector declares the ones it supports. */
export type FixtureTypeName =
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'decimal18'
  | 'decimal38'
  | 'utf8'
  | 'bool'
  | 'date'
  | 'timestamp'
  | 'timestamptz'
  | 'binary';

/** Every {@link FixtureTypeName}. */
export const FIXTURE_TYPES: readonly FixtureTypeName[] = [
  'int16',
  'int32',
  'int64',
  'float64',
  'decimal18',
  'decimal38',
  'utf8',
  'bool',
  'date',
  'timestamp',
  'timestamptz',
  'binary',
];

/** One column of the fixture. */
export interface FixtureColumn {
  readonly name: string;
  readonly kind: FixtureTypeName;
  readonly type: ScalarType;
  /** Only `id` is NOT NULL; every other column holds NULLs. */
  readonly nullable: boolean;
}

/**
 * The fixture's columns. `id` (0‥199, unique, never NULL) is always present;
 * every other column is dropped for a connector that does not declare its
 * type.
 */
export const FIXTURE_COLUMNS: readonly FixtureColumn[] = [
  { name: 'id', kind: 'int32', type: Types.int32, nullable: false },
  { name: 'c_int16', kind: 'int16', type: Types.int16, nullable: true },
  { name: 'c_int32', kind: 'int32', type: Types.int32, nullable: true },
  { name: 'c_int64', kind: 'int64', type: Types.int64, nullable: true },
  { name: 'c_float64', kind: 'float64', type: Types.float64, nullable: true },
  { name: 'c_decimal18', kind: 'decimal18', type: Types.decimal(18, 4), nullable: true },
  { name: 'c_decimal38', kind: 'decimal38', type: Types.decimal(38, 10), nullable: true },
  { name: 'c_text', kind: 'utf8', type: Types.utf8, nullable: true },
  { name: 'c_bool', kind: 'bool', type: Types.bool, nullable: true },
  { name: 'c_date', kind: 'date', type: Types.date, nullable: true },
  { name: 'c_timestamp', kind: 'timestamp', type: Types.timestamp, nullable: true },
  { name: 'c_timestamptz', kind: 'timestamptz', type: Types.timestamptz, nullable: true },
  { name: 'c_binary', kind: 'binary', type: Types.binary, nullable: true },
];

/** The fixture's columns for a connector supporting `types` (all when omitted). */
export function fixtureColumns(types?: readonly FixtureTypeName[]): readonly FixtureColumn[] {
  if (!types) return FIXTURE_COLUMNS;
  return FIXTURE_COLUMNS.filter((c) => c.name === 'id' || types.includes(c.kind));
}

const bytes = (...b: number[]) => new Uint8Array(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

/**
 * Hand-picked values at the start of each column: extremes, boundaries and
 * awkward text. Row 1 is NULL in every column. Cases in `cases.ts` refer to
 * these values, so change both together.
 *
 * NaN and ±Infinity are deliberately absent from `c_float64`: sources
 * disagree about them (MySQL cannot store them; PostgreSQL and DuckDB sort
 * NaN above every number and make `NaN = NaN` true, IEEE makes it false), so
 * a shared fixture with NaN would test the sources' differences rather than
 * the connectors. `-0.0` is absent for the same reason.
 */
const SPECIAL: Readonly<Record<string, readonly ScalarValue[]>> = {
  c_int16: [0, null, -32768, 32767, -1, 1, 1000, 7, -7, 300],
  c_int32: [0, null, -2147483648, 2147483647, 42, -42, 1000, 1001, 999, 7, -7, -21, -27, 21, 27, 5],
  c_int64: [
    0n,
    null,
    -9223372036854775808n,
    9223372036854775807n,
    4611686018427387904n,
    -4611686018427387905n,
    9007199254740993n,
    -1n,
    1n,
  ],
  c_float64: [0, null, 1e300, -1e-300, 0.1, 2.5, -2.5, 0.5, 1.5, 12.75, 3.25, -3.75, 1e15],
  c_decimal18: [
    '0.0000',
    null,
    '99999999999999.9999',
    '-99999999999999.9999',
    '12345.6789',
    '0.0001',
    '-0.0001',
    '2.5000',
    '-2.5000',
    '1.2350',
  ],
  c_decimal38: [
    '0.0000000000',
    null,
    '9999999999999999999999999999.9999999999',
    '-9999999999999999999999999999.9999999999',
    '0.0000000001',
    '-1234567890123456789012345678.0123456789',
    '1.5000000000',
  ],
  c_text: [
    '',
    null,
    "it's",
    'say "hi"',
    'back\\slash',
    'emoji 😀 ok',
    'naïve café',
    '100% sure',
    'under_score',
    '  padded  ',
    'hello world',
    'HELLO WORLD',
    'Hello World',
    'a',
    'bat',
    'bit',
    'semi;colon -- not a comment',
    '/* not a comment */',
    'tab\there',
    'line\nbreak',
    '日本語テキスト',
    '$$dollar$$',
    'underXscore',
    // Case mapping that differs outside ASCII: an engine folding ASCII only
    // leaves Ä and İ as they are; one with full Unicode mapping turns ß into SS.
    'ÄRGER',
    'Straße',
    'İstanbul',
  ],
  c_bool: [true, null, false],
  c_date: ['1970-01-01', null, '1900-01-01', '2099-12-31', '2024-02-29', '1969-12-31', '2000-01-01'],
  c_timestamp: [
    '1970-01-01 00:00:00.000000',
    null,
    '1969-12-31 23:59:59.999999',
    '2000-01-01 00:00:00.000000',
    '2024-02-29 12:34:56.789012',
    '1900-01-01 00:00:00.000000',
    '2099-12-31 23:59:59.999999',
  ],
  c_timestamptz: [
    '1970-01-01 00:00:00.000000',
    null,
    '1969-12-31 23:59:59.999999',
    '2020-06-01 12:00:00.000000',
    '2024-02-29 23:30:00.000001',
    '1900-01-01 00:00:00.000000',
    '2099-12-31 23:59:59.999999',
  ],
  c_binary: [
    new Uint8Array(0),
    null,
    bytes(0),
    bytes(0xff),
    bytes(0, 0xff),
    bytes(0xde, 0xad, 0xbe, 0xef),
    utf8("it's"),
  ],
};

const WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'hello',
  'world',
  'über',
  'naïve',
  'zeta',
  'Omega',
  'x_y',
  'p%q',
  "o'k",
  'back\\',
];

/** A small deterministic generator (mulberry32), so every run and every source get the same rows. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generated(column: string, row: number, next: () => number): ScalarValue {
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  switch (column) {
    case 'c_int16':
      return int(-1000, 1000);
    case 'c_int32':
      return int(-5000, 5000);
    case 'c_int64':
      return BigInt(int(-1_000_000, 1_000_000)) * 1_000_003n + BigInt(row);
    case 'c_float64':
      // Quarters are exact in binary, so every source stores and prints them identically.
      return int(-4000, 4000) / 4;
    case 'c_decimal18': {
      const unscaled = int(-100_000_000, 100_000_000);
      return formatUnscaled(BigInt(unscaled), 4);
    }
    case 'c_decimal38': {
      const unscaled = BigInt(int(-(2 ** 30), 2 ** 30)) * 10n ** 20n + BigInt(int(0, 2 ** 30));
      return formatUnscaled(unscaled, 10);
    }
    case 'c_text':
      return `${WORDS[int(0, WORDS.length - 1)]} ${WORDS[int(0, WORDS.length - 1)]} ${row}`;
    case 'c_bool':
      return next() < 0.5;
    case 'c_date':
      return daysToIso(int(-10_000, 30_000));
    case 'c_timestamp':
    case 'c_timestamptz':
      return microsToIso(BigInt(int(-1_000_000_000, 3_000_000_000)) * 1_000_000n + BigInt(int(0, 999_999)));
    case 'c_binary':
      return new Uint8Array(Array.from({ length: int(0, 8) }, () => int(0, 255)));
    default:
      throw new Error(`no generator for ${column}`);
  }
}

/** `-12.5000` for unscaled `-125000n` at scale 4. */
function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

let cachedRows: readonly (readonly ScalarValue[])[] | undefined;

/**
 * The fixture's rows, one value per {@link FIXTURE_COLUMNS} entry, in IR
 * form (`ScalarValue`: int64 as bigint, decimals as text, dates and
 * timestamps as UTC text, binary as bytes). Deterministic.
 */
export function fixtureRows(): readonly (readonly ScalarValue[])[] {
  if (cachedRows) return cachedRows;
  const rows: ScalarValue[][] = [];
  FIXTURE_COLUMNS.forEach((column, c) => {
    const next = random(0x5eed + c * 7919);
    for (let i = 0; i < FIXTURE_ROW_COUNT; i++) {
      rows[i] ??= [];
      let value: ScalarValue;
      if (column.name === 'id') value = i;
      else {
        const special = SPECIAL[column.name]!;
        // Draw for every row so a special value does not shift the generated ones.
        const drawn = generated(column.name, i, next);
        if (i < special.length) value = special[i]!;
        else if ((i * 7 + c * 3) % 13 === 0) value = null;
        else value = drawn;
      }
      rows[i]![c] = value;
    }
  });
  cachedRows = rows;
  return rows;
}

/** The fixture as an Arrow table with Spoke's Arrow types (`toArrowType`), optionally only some types' columns. */
export function fixtureTable(types?: readonly FixtureTypeName[]): Table {
  const columns = fixtureColumns(types);
  const rows = fixtureRows();
  const vectors: Record<string, ReturnType<typeof arrow.makeVector>> = {};
  for (const column of columns) {
    const index = FIXTURE_COLUMNS.indexOf(column);
    vectors[column.name] = arrow.makeVector(
      arrowDataFromScalars(
        column.type,
        rows.map((r) => r[index]!),
      ),
    );
  }
  return new arrow.Table(vectors);
}

/** Options for {@link fixtureSql}. */
export interface FixtureSqlOptions {
  /** Schema to create the table in; unqualified when omitted. */
  readonly schema?: string;
  /** Table name; default {@link FIXTURE_TABLE}. */
  readonly table?: string;
  /** The types the source supports; other columns are left out. Default: all. */
  readonly types?: readonly FixtureTypeName[];
  /** Column type names for the DDL where the dialect's `typeName` is not the right storage type (`BYTEA`, `DATETIME(6)`). */
  readonly typeNames?: Partial<Record<FixtureTypeName, string>>;
  /** Rows per INSERT statement; default 50. */
  readonly rowsPerInsert?: number;
}

/**
 * The fixture as SQL statements for `dialect`: one CREATE TABLE, then
 * INSERTs with literals escaped by the dialect's `renderLiteral` (so the
 * script also exercises the dialect's quoting). Run them in order.
 */
export function fixtureSql(dialect: ExpressionDialect, options: FixtureSqlOptions = {}): string[] {
  const columns = fixtureColumns(options.types);
  const table = [...(options.schema === undefined ? [] : [options.schema]), options.table ?? FIXTURE_TABLE]
    .map((p) => dialect.quoteIdentifier(p))
    .join('.');
  const definitions = columns.map((c) => {
    const name = options.typeNames?.[c.kind] ?? dialect.typeName(c.type);
    if (!name)
      throw new Error(`the ${dialect.name} dialect has no type name for ${c.kind}; pass typeNames.${c.kind}`);
    return `${dialect.quoteIdentifier(c.name)} ${name}${c.nullable ? '' : ' NOT NULL'}`;
  });
  const statements = [`CREATE TABLE ${table} (${definitions.join(', ')})`];
  const rows = fixtureRows();
  const per = options.rowsPerInsert ?? 50;
  const indexes = columns.map((c) => FIXTURE_COLUMNS.indexOf(c));
  for (let start = 0; start < rows.length; start += per) {
    const values = rows
      .slice(start, start + per)
      .map(
        (row) =>
          `(${indexes.map((i) => dialect.renderLiteral(row[i]!, FIXTURE_COLUMNS[i]!.type)).join(', ')})`,
      );
    statements.push(
      `INSERT INTO ${table} (${columns.map((c) => dialect.quoteIdentifier(c.name)).join(', ')}) VALUES ${values.join(', ')}`,
    );
  }
  return statements;
}
