/**
 * Attack class 3: values extracted through error text. Every arithmetic,
 * cast, math-domain, string, date and array error DuckDB (or PostgreSQL,
 * on the pushed path) can raise, fed a protected column, in WHERE, in a CASE
 * that singles out one row, as an aggregate's argument, in the select list
 * and in HAVING over one-row groups. Expected: the query fails (or answers
 * without the value); the error says which kind of error it was and holds
 * no value of the table — every amount of an aggregate-only table, every
 * SSN, every name and salary of the row-filtered table. The same error on a
 * table without policies keeps its normal message: redaction is scoped.
 */
import { describe } from 'node:test';
import {
  assertCleanSql,
  brief,
  FlightSession,
  httpRun,
  leaksIn,
  type Outcome,
  PgSession,
} from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import {
  DEPARTMENTS,
  EMPLOYEE_VALUE_SENTINELS,
  LEDGER_SENTINELS,
  PAYROLL_SENTINELS,
  SENTINELS,
  type Sentinel,
  securityFixture,
} from './security-fixture.js';

/** An expression that raises an error for (some) values of column `c`. */
interface Probe {
  readonly name: string;
  /** What the expression yields, for turning it into a predicate. */
  readonly yields: 'number' | 'text' | 'other';
  readonly expr: (c: string) => string;
}

/** Probes over a numeric column, by family. */
const NUMERIC_PROBES: Readonly<Record<string, readonly Probe[]>> = {
  overflow: [
    { name: 'INT32 multiplication', yields: 'number', expr: (c) => `${c} * 2147483647` },
    { name: 'INT32 addition', yields: 'number', expr: (c) => `${c} + 2147483647` },
    { name: 'INT32 subtraction', yields: 'number', expr: (c) => `-2147483647 - ${c}` },
    {
      name: 'abs of the minimum integer',
      yields: 'number',
      expr: (c) => `abs(${c} - ${c} - 2147483647 - 1)`,
    },
    {
      name: 'BIGINT multiplication',
      yields: 'number',
      expr: (c) => `CAST(${c} AS BIGINT) * 9223372036854775807`,
    },
    { name: 'power', yields: 'number', expr: (c) => `power(${c}, 100000)` },
    { name: 'exp', yields: 'number', expr: (c) => `exp(${c})` },
  ],
  division: [
    { name: 'integer / 0', yields: 'number', expr: (c) => `${c} / 0` },
    { name: 'integer % 0', yields: 'number', expr: (c) => `${c} % 0` },
    { name: 'division by (x - x)', yields: 'number', expr: (c) => `1000 / (${c} - ${c})` },
    { name: 'numeric / 0', yields: 'number', expr: (c) => `CAST(${c} AS NUMERIC) / 0` },
  ],
  casts: [
    { name: '::smallint', yields: 'number', expr: (c) => `${c}::smallint` },
    { name: 'DECIMAL(2,1)', yields: 'number', expr: (c) => `CAST(${c} AS DECIMAL(2,1))` },
    { name: 'text to date', yields: 'other', expr: (c) => `CAST(CAST(${c} AS TEXT) AS DATE)` },
    { name: 'text to boolean', yields: 'other', expr: (c) => `CAST(CAST(${c} AS TEXT) AS BOOLEAN)` },
    { name: "('x' || n)::int", yields: 'number', expr: (c) => `CAST('x' || ${c} AS INTEGER)` },
    { name: "(n || 'x')::int", yields: 'number', expr: (c) => `CAST(${c} || 'x' AS INTEGER)` },
    {
      name: "(n || 'x')::numeric",
      yields: 'number',
      expr: (c) => `CAST(CAST(${c} AS TEXT) || 'x' AS NUMERIC)`,
    },
  ],
  'math domain': [
    { name: 'sqrt of a negative', yields: 'number', expr: (c) => `sqrt(-${c})` },
    { name: 'ln(0)', yields: 'number', expr: (c) => `ln(${c} - ${c})` },
    { name: 'log of a negative', yields: 'number', expr: (c) => `log(-${c})` },
    { name: 'ln of a negative', yields: 'number', expr: (c) => `ln(-${c})` },
    { name: 'acos out of domain', yields: 'number', expr: (c) => `acos(${c})` },
  ],
  'strings and regexps': [
    { name: 'chr out of range', yields: 'text', expr: (c) => `chr(${c} * 100)` },
    { name: 'chr of a negative', yields: 'text', expr: (c) => `chr(-${c})` },
    {
      name: 'invalid regexp with the value',
      yields: 'other',
      expr: (c) => `regexp_matches('x', CAST(${c} AS TEXT) || '(')`,
    },
    {
      name: '~ with an invalid pattern',
      yields: 'other',
      expr: (c) => `('x' ~ (CAST(${c} AS TEXT) || '['))`,
    },
    {
      name: 'substring with a negative length',
      yields: 'text',
      expr: (c) => `substring('abc', ${c}, -${c})`,
    },
  ],
  'dates and timestamps': [
    {
      name: 'to_timestamp of a huge number',
      yields: 'other',
      expr: (c) => `to_timestamp(${c} * 1000000000000.0)`,
    },
    { name: 'make_date year', yields: 'other', expr: (c) => `make_date(${c}, 1, 1)` },
    { name: 'make_date month', yields: 'other', expr: (c) => `make_date(2020, ${c}, 1)` },
    {
      name: 'date_part of a bad date',
      yields: 'number',
      expr: (c) => `date_part('year', make_date(${c}, 13, 40))`,
    },
    { name: 'date + huge interval', yields: 'other', expr: (c) => `DATE '2020-01-01' + ${c} * 100000` },
  ],
  arrays: [
    { name: 'array index', yields: 'number', expr: (c) => `(ARRAY[1, 2, 3])[${c}]` },
    { name: 'array slice', yields: 'other', expr: (c) => `(ARRAY[1, 2, 3])[${c}:${c} * 2]` },
    { name: 'array_fill with the value', yields: 'other', expr: (c) => `array_fill(1, ARRAY[-${c}])` },
  ],
};

/** Probes over a text column. */
const TEXT_PROBES: readonly Probe[] = [
  { name: '::int', yields: 'number', expr: (c) => `CAST(${c} AS INTEGER)` },
  { name: '::bigint', yields: 'number', expr: (c) => `CAST(${c} || 'x' AS BIGINT)` },
  { name: '::date', yields: 'other', expr: (c) => `CAST(${c} AS DATE)` },
  { name: '::timestamp', yields: 'other', expr: (c) => `CAST(${c} AS TIMESTAMP)` },
  { name: '::numeric', yields: 'number', expr: (c) => `CAST(${c} AS NUMERIC)` },
  { name: 'DECIMAL(2,1)', yields: 'number', expr: (c) => `CAST(${c} AS DECIMAL(2,1))` },
  { name: '::boolean', yields: 'other', expr: (c) => `CAST(${c} AS BOOLEAN)` },
  { name: '::uuid', yields: 'other', expr: (c) => `CAST(${c} AS UUID)` },
  { name: '::interval', yields: 'other', expr: (c) => `CAST(${c} AS INTERVAL)` },
  { name: 'invalid regexp with the value', yields: 'other', expr: (c) => `regexp_matches('x', ${c} || '(')` },
  { name: '~ with an invalid pattern', yields: 'other', expr: (c) => `('x' ~ (${c} || '['))` },
  { name: 'to_date', yields: 'other', expr: (c) => `to_date(${c}, 'YYYY-MM-DD')` },
];

function predicate(p: Probe, c: string): string {
  const e = p.expr(c);
  return p.yields === 'number' ? `(${e}) > 0` : p.yields === 'text' ? `(${e}) <> ''` : `(${e}) IS NOT NULL`;
}

/** A table under attack: how to write each position for a probe. */
interface Target {
  readonly table: string;
  readonly rule: string;
  readonly sentinels: readonly Sentinel[];
  readonly numeric?: string;
  readonly text?: readonly string[];
  /** `WHERE CASE WHEN <single> THEN …`: one row, a protected one. */
  readonly single: string;
  readonly key: string;
  /** Whether plain rows may be selected (mask / row filter) or only aggregates. */
  readonly rows: boolean;
}

const TARGETS: readonly Target[] = [
  {
    table: 'hr.payroll',
    rule: 'aggregate_only',
    sentinels: PAYROLL_SENTINELS,
    numeric: 'amount',
    text: ['CAST(amount AS TEXT)'],
    single: 'emp_id = 42',
    key: 'emp_id',
    rows: false,
  },
  {
    table: 'hr.employees',
    rule: 'mask + row_filter',
    sentinels: EMPLOYEE_VALUE_SENTINELS,
    numeric: 'salary',
    text: ['name', 'ssn'],
    single: 'id = 7',
    key: 'id',
    rows: true,
  },
  {
    table: 'pg.public.ledger',
    rule: 'aggregate_only, PostgreSQL',
    sentinels: LEDGER_SENTINELS,
    numeric: 'amount',
    text: ['memo'],
    single: 'id = 7',
    key: 'id',
    rows: false,
  },
  {
    table: 'files.badges',
    rule: 'mask, Parquet',
    sentinels: [{ label: 'a badge PIN', pattern: /PIN-31337/ }],
    text: ['pin'],
    single: 'badge_id = 3',
    key: 'badge_id',
    rows: true,
  },
];

/** The statements for one probe on one column of a target, by position. */
function statements(t: Target, p: Probe, column: string): [string, string][] {
  const out: [string, string][] = [
    ['WHERE', `SELECT count(*) AS n FROM ${t.table} WHERE ${predicate(p, column)}`],
    [
      'CASE',
      `SELECT count(*) AS n FROM ${t.table} WHERE CASE WHEN ${t.single} THEN ${predicate(p, column)} ELSE false END`,
    ],
    [
      'aggregate argument',
      p.yields === 'number'
        ? `SELECT sum(${p.expr(column)}) AS s FROM ${t.table}`
        : `SELECT count(${p.expr(column)}) AS n FROM ${t.table}`,
    ],
    [
      'HAVING',
      `SELECT ${t.key} FROM ${t.table} GROUP BY ${t.key} HAVING ${predicate(p, column === t.numeric ? `CAST(sum(${column}) AS INTEGER)` : `max(${column})`)}`,
    ],
  ];
  if (t.rows) out.push(['select list', `SELECT ${p.expr(column)} AS x FROM ${t.table}`]);
  return out;
}

/** Words that say what kind of error it was, without the value. */
const ERROR_CLASS =
  /out of range|overflow|division|zero|conver|cast|invalid|syntax|format|date|time|regular expression|regexp|logarithm|square root|negative|domain|character|code ?point|array|subscript|not (allowed|supported)|does not exist|only aggregates|policy|refused|aggregate/i;

/** Why an outcome of an extraction attempt is wrong: a value in it, an internal error, or a message that says nothing. */
export function extractionProblem(o: Outcome, sentinels: readonly Sentinel[]): string | undefined {
  const leaked = leaksIn(o.seen, [...sentinels, ...SENTINELS]);
  if (leaked.length) return `LEAKED ${[...new Set(leaked)].slice(0, 3).join(', ')}: ${brief(o)}`;
  if (o.ok) return undefined;
  if (o.code === 'XX000' || o.code === 'INTERNAL') return `internal error: ${brief(o)}`;
  if (!ERROR_CLASS.test(o.message ?? ''))
    return `the error does not say what kind of error it was: ${brief(o)}`;
  return undefined;
}

describe('3. values extracted through error text', () => {
  for (const t of TARGETS) {
    const families: [string, readonly Probe[], readonly string[]][] = [
      ...(t.numeric
        ? Object.entries(NUMERIC_PROBES).map(
            ([family, probes]) =>
              [family, probes, [t.numeric!]] as [string, readonly Probe[], readonly string[]],
          )
        : []),
      ...(t.text
        ? [['casts of text', TEXT_PROBES, t.text] as [string, readonly Probe[], readonly string[]]]
        : []),
    ];
    for (const [family, probes, columns] of families) {
      attack(`${t.table} (${t.rule}): ${family} errors carry no value`, async () => {
        const fx = await securityFixture();
        const session = new PgSession(fx.main.pgPort, 'analyst');
        const problems: string[] = [];
        try {
          for (const column of columns)
            for (const probe of probes)
              for (const [position, sql] of statements(t, probe, column)) {
                assertCleanSql(sql, [...t.sentinels, ...SENTINELS]);
                const p = extractionProblem(await session.run(sql), t.sentinels);
                if (p) problems.push(`${probe.name} in ${position}: ${p}`);
              }
        } finally {
          await session.close();
        }
        assertNoProblems(problems, `${t.table} ${family}`);
      });
    }
  }

  attack("the issue's example and casts over every protocol (Postgres wire, HTTP, Flight)", async () => {
    const fx = await securityFixture();
    const session = new PgSession(fx.main.pgPort, 'analyst');
    const flight = new FlightSession(fx.main.flightAddress!, 'analyst');
    const attempts: [string, readonly Sentinel[]][] = [
      [
        'SELECT count(*) FROM hr.payroll WHERE CASE WHEN emp_id = 42 THEN amount * 2147483647 ELSE 0 END > 0',
        PAYROLL_SENTINELS,
      ],
      ['SELECT count(*) FROM hr.payroll WHERE CAST(amount AS SMALLINT) > 0', PAYROLL_SENTINELS],
      [
        'SELECT emp_id FROM hr.payroll GROUP BY emp_id HAVING CAST(sum(amount) AS SMALLINT) > 0',
        PAYROLL_SENTINELS,
      ],
      ['SELECT count(*) FROM hr.employees WHERE CAST(ssn AS INTEGER) > 0', EMPLOYEE_VALUE_SENTINELS],
      ['SELECT count(*) FROM hr.employees WHERE salary * 2147483647 > 0', EMPLOYEE_VALUE_SENTINELS],
      ['SELECT CAST(name AS DATE) FROM hr.employees', EMPLOYEE_VALUE_SENTINELS],
      ['SELECT count(*) FROM pg.public.ledger WHERE CAST(memo AS INTEGER) > 0', LEDGER_SENTINELS],
      ['SELECT count(*) FROM pg.public.ledger WHERE amount * 2147483647 > 0', LEDGER_SENTINELS],
    ];
    const problems: string[] = [];
    try {
      for (const [sql, sentinels] of attempts)
        for (const o of [
          await session.run(sql),
          await httpRun(fx.main.url, 'analyst', sql),
          await flight.run(sql),
        ]) {
          const p = extractionProblem(o, sentinels);
          if (p) problems.push(p);
        }
    } finally {
      await session.close();
      flight.close();
    }
    assertNoProblems(problems, 'every protocol');
  });

  attack('redaction is scoped: the same errors on a table without policies keep their values', async () => {
    const fx = await securityFixture();
    const session = new PgSession(fx.main.pgPort, 'analyst');
    const names = DEPARTMENTS.map(([, n]) => n);
    const problems: string[] = [];
    try {
      // PostgreSQL's overflow message names the type, not the value (`integer out of range`): the conversion
      // error below is the one that quotes a value.
      const overflow = await session.run('SELECT budget * 2147483647 AS x FROM hr.departments');
      if (overflow.ok || overflow.message !== 'integer out of range')
        problems.push(`expected PostgreSQL's overflow error: ${brief(overflow)}`);
      const cast = await session.run('SELECT CAST(name AS INTEGER) AS x FROM hr.departments');
      if (cast.ok || !names.some((n) => cast.seen.includes(n)))
        problems.push(`expected the conversion error quoting the name: ${brief(cast)}`);
    } finally {
      await session.close();
    }
    assertNoProblems(problems, 'unprotected table');
  });
});
