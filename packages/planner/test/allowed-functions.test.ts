/**
 * The allow-list of callables (src/binder/allowed-functions.ts, enforced by
 * check-callables.ts): every file, SQL, settings and engine function DuckDB
 * has is refused with PostgreSQL's 42883 in every position of a statement,
 * with and without tables under security policies; qualified names cannot
 * reach around the list; an unknown function reads exactly like a forbidden
 * one. And the list is honest: every entry's example runs through the
 * engine, every name and arity is one DuckDB (or the system catalog) has,
 * and docs/sql-functions.md is the list.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { type QueryContext, SpokeError } from '@spoke/core';
import { renderSqlFunctionsDoc, SQL_FUNCTIONS_DOC } from '../scripts/sql-functions-doc.js';
import {
  ALLOWED_CALLABLES,
  ALLOWED_OPERATORS,
  type AllowedCallable,
  acceptsArgs,
  allowedCallables,
  CURRENT_SETTINGS,
} from '../src/binder/allowed-functions.js';
import { checkCallables } from '../src/binder/check-callables.js';
import { collectBatches, createEngine, type FederatedEngine } from '../src/index.js';
import { parseSql } from '../src/parse/parse-sql.js';
import { pgMacros } from '../src/system-catalog/catalog-schema.js';
import { ADMIN, ANALYST, createPolicyWorld, type PolicyWorld } from './policy-fixtures.test.js';

let w: PolicyWorld;
before(async () => {
  w = await createPolicyWorld();
});
after(async () => w?.close());

/** The error `sql` fails with (fails the test when it answers). */
async function failure(
  sql: string,
  context: Partial<QueryContext> = ANALYST,
  engine?: FederatedEngine,
): Promise<SpokeError> {
  try {
    await collectBatches(await (engine ?? w.engine).query(sql, { context }));
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), `${sql}: ${String(error)}`);
    return error;
  }
  assert.fail(`${sql}: answered, expected an error`);
}

/** `sql` is refused as PostgreSQL refuses a function that does not exist, pointing at `name`. */
async function undefinedFunction(
  sql: string,
  name: string,
  context: Partial<QueryContext> = ANALYST,
): Promise<SpokeError> {
  const error = await failure(sql, context);
  assert.equal(error.code, 'INVALID_QUERY', `${sql}: ${error.code} ${error.message}`);
  assert.equal(error.details?.sqlstate, '42883', sql);
  assert.match(
    error.message,
    new RegExp(`^function ${name.replace(/\./g, '\\.')}\\(.*\\) does not exist$`),
    sql,
  );
  assert.match(String(error.details?.hint), /docs\/sql-functions\.md/, sql);
  assert.equal(error.details?.position, [...sql.slice(0, sql.indexOf(name))].length + 1, `${sql}: position`);
  return error;
}

/** Calls DuckDB answers but Spoke must not: files, network, SQL of its own, settings, the engine's insides. */
const FORBIDDEN: readonly [name: string, call: string][] = [
  ['read_text', "read_text('/etc/passwd')"],
  ['read_blob', "read_blob('/etc/hostname')"],
  ['read_csv', "read_csv('/etc/passwd')"],
  ['read_csv_auto', "read_csv_auto('/etc/passwd')"],
  ['read_parquet', "read_parquet('/tmp/x.parquet')"],
  ['read_json', "read_json('/tmp/x.json')"],
  ['glob', "glob('/etc/*')"],
  ['sniff_csv', "sniff_csv('/etc/passwd')"],
  ['query', "query('SELECT relname FROM __spoke_pg_2.pg.pg_class')"],
  ['query_table', "query_table('__spoke_0')"],
  ['duckdb_settings', 'duckdb_settings()'],
  ['duckdb_databases', 'duckdb_databases()'],
  ['duckdb_functions', 'duckdb_functions()'],
  ['duckdb_secrets', 'duckdb_secrets()'],
  ['pragma_version', 'pragma_version()'],
  ['pragma_table_info', "pragma_table_info('x')"],
  ['getenv', "getenv('HOME')"],
  ['current_query', 'current_query()'],
  ['json_execute_serialized_sql', "json_execute_serialized_sql('x')"],
  ['write_log', "write_log('x')"],
  ['getvariable', "getvariable('x')"],
  ['parquet_metadata', "parquet_metadata('/tmp/x.parquet')"],
  ['spoke_text_match', "spoke_text_match('a', 'b')"],
  ['regclass_oid', "regclass_oid('pg_class')"],
];

/** Every place a call can hide; `$F` is the call, the tables are under policies for the analyst. */
const POSITIONS: readonly string[] = [
  'SELECT $F',
  'SELECT $F FROM crm.customers',
  'SELECT * FROM $F',
  'SELECT c.id FROM crm.customers c, $F',
  'SELECT * FROM ROWS FROM (generate_series(1, 2), $F)',
  'SELECT c.id FROM crm.customers c CROSS JOIN LATERAL $F',
  'SELECT c.id FROM crm.customers c, LATERAL (SELECT $F AS v) l',
  'SELECT id FROM crm.customers WHERE $F IS NOT NULL',
  'SELECT id FROM crm.customers WHERE id IN (SELECT length(CAST($F AS text)))',
  'SELECT id FROM crm.customers WHERE EXISTS (SELECT 1 FROM $F)',
  'SELECT (SELECT $F) FROM crm.customers',
  'WITH c AS (SELECT $F AS v) SELECT * FROM c',
  'WITH c AS (SELECT * FROM $F) SELECT count(*) FROM c, crm.customers',
  'SELECT region, count(*) FROM crm.customers GROUP BY region, $F',
  'SELECT region FROM crm.customers GROUP BY region HAVING count($F) > 0',
  'SELECT row_number() OVER (PARTITION BY $F) FROM crm.customers',
  'SELECT sum(spend) OVER w FROM crm.customers WINDOW w AS (ORDER BY $F)',
  'SELECT count(*) FILTER (WHERE $F IS NULL) FROM crm.payments',
  'SELECT string_agg(name, $F) FROM crm.customers',
  'SELECT id FROM crm.customers ORDER BY $F',
  'SELECT id FROM crm.customers LIMIT length(CAST($F AS text))',
  'SELECT id FROM crm.customers UNION ALL SELECT $F',
  'VALUES ($F)',
  'SELECT * FROM (VALUES ($F)) v(x)',
  'SELECT CASE WHEN id > 0 THEN $F END FROM crm.customers',
  'SELECT CAST($F AS text) FROM crm.customers',
  'SELECT ARRAY[$F]',
  'INSERT INTO crm.customers (name) SELECT $F',
  'INSERT INTO crm.customers (name) VALUES ($F)',
  'CREATE TABLE crm.stolen AS SELECT * FROM $F',
  'DELETE FROM crm.customers WHERE name = $F',
  'EXPLAIN SELECT $F FROM crm.customers',
  'EXPLAIN SELECT * FROM crm.customers, $F',
];

describe('forbidden functions are refused with 42883 in every position', () => {
  for (const [who, context] of [
    ['an analyst (tables under policies)', ANALYST],
    ['an admin (no policy applies)', ADMIN],
  ] as const) {
    test(`for ${who}`, async () => {
      for (const [name, call] of FORBIDDEN) {
        for (const position of POSITIONS)
          await undefinedFunction(position.replace('$F', call), name, context);
      }
    });
  }

  test('EXPLAIN through engine.explain() too', async () => {
    await assert.rejects(
      w.engine.explain("SELECT * FROM crm.customers, read_text('/etc/passwd')", { context: ANALYST }),
      (e: SpokeError) => e.details?.sqlstate === '42883' && /^function read_text\(unknown\)/.test(e.message),
    );
  });

  test('the message names the function and its arguments as PostgreSQL does, never their values', async () => {
    const error = await undefinedFunction(
      "SELECT read_text('/etc/passwd', 42, 1.5, true, NULL::int)",
      'read_text',
    );
    assert.equal(
      error.message,
      'function read_text(unknown, integer, numeric, boolean, int4) does not exist',
    );
    const named = await undefinedFunction(
      "SELECT * FROM read_csv('/etc/passwd', header => true)",
      'read_csv',
    );
    assert.equal(named.message, 'function read_csv(unknown, header => boolean) does not exist');
    // Positions count characters, not UTF-8 bytes.
    await undefinedFunction("SELECT 'é€', read_text('x')", 'read_text');
    // FROM is resolved first, as in PostgreSQL: the refusal names the file reader, not what reads its rows.
    await undefinedFunction(
      "SELECT regexp_extract(CAST(content AS text), 'SECRET-[a-z]+') FROM read_blob('/srv/hr.duckdb')",
      'read_blob',
    );
  });
});

describe('qualified names cannot reach around the list', () => {
  test('a listed name under another schema, catalog or database is refused', async () => {
    for (const [sql, name] of [
      ["SELECT main.read_text('x')", 'main.read_text'],
      ["SELECT * FROM main.read_text('x')", 'main.read_text'],
      ["SELECT system.main.read_text('x')", 'system.main.read_text'],
      ["SELECT pg_catalog.read_text('x')", 'pg_catalog.read_text'],
      ["SELECT main.upper('x')", 'main.upper'],
      ["SELECT system.pg_catalog.upper('x')", 'system.pg_catalog.upper'],
      ["SELECT information_schema.upper('x')", 'information_schema.upper'],
      ['SELECT __spoke_pg_1.pg.pg_get_userbyid(10)', '__spoke_pg_1.pg.pg_get_userbyid'],
      ["SELECT __spoke_pg_1.pg.regclass_oid('pg_class')", '__spoke_pg_1.pg.regclass_oid'],
      ["SELECT crm.read_text('x')", 'crm.read_text'],
      ['SELECT c.upper() FROM crm.customers c', 'c.upper'],
      ['SELECT * FROM ROWS FROM (crm.customers(version => 1), generate_series(1, 2))', 'crm.customers'],
    ] as const) {
      await undefinedFunction(sql, name);
    }
    // Quoted names keep their case, as in PostgreSQL (DuckDB would ignore it).
    for (const [sql, message] of [
      ['SELECT "READ_TEXT"(\'x\')', 'function READ_TEXT(unknown) does not exist'],
      ['SELECT "Upper"(\'x\')', 'function Upper(unknown) does not exist'],
    ] as const) {
      const error = await failure(sql);
      assert.deepEqual([error.details?.sqlstate, error.message], ['42883', message], sql);
    }
  });

  test('pg_catalog-qualified listed functions are accepted, as clients and the grammar write them', async () => {
    const rows = await w.rows(
      "SELECT pg_catalog.upper('a') AS u, pg_catalog.length('abc') AS l, EXTRACT(YEAR FROM DATE '2024-05-06') AS y FROM crm.customers LIMIT 1",
      ANALYST,
    );
    assert.deepEqual(rows, [['A', 3n, 2024n]]);
  });

  test('operators, types, collations and sampling methods of other schemas are refused', async () => {
    const op = await failure('SELECT 1 OPERATOR(main.+) 2');
    assert.equal(op.details?.sqlstate, '42883');
    assert.equal(op.message, 'operator does not exist: integer main.+ integer');
    const unknownOp = await failure('SELECT id # 2 FROM crm.customers');
    assert.equal(unknownOp.message, 'operator does not exist: … # integer');
    assert.equal(unknownOp.details?.position, 11);
    const type = await failure("SELECT 'x'::main.secret_type");
    assert.deepEqual(
      [type.details?.sqlstate, type.message],
      ['42704', 'type "main.secret_type" does not exist'],
    );
    const collation = await failure('SELECT name COLLATE main.x FROM crm.customers');
    assert.deepEqual(
      [collation.details?.sqlstate, collation.message],
      ['42704', 'collation "main.x" does not exist'],
    );
    const sample = await failure('SELECT * FROM crm.customers TABLESAMPLE reservoir (10)');
    assert.deepEqual(
      [sample.details?.sqlstate, sample.message],
      ['42704', 'tablesample method "reservoir" does not exist'],
    );
    // pg_catalog's own spellings still work.
    assert.deepEqual(await w.rows("SELECT 1 OPERATOR(pg_catalog.+) 2, 'a'::pg_catalog.text", ANALYST), [
      [3n, 'a'],
    ]);
  });

  test('system relations the catalog lacks are 42P01 before DuckDB sees their names', async () => {
    for (const [sql, name] of [
      ['SELECT * FROM pg_nope', 'pg_nope'],
      ['SELECT * FROM "pg_/etc/passwd"', 'pg_/etc/passwd'],
      ['SELECT * FROM pg_catalog.pg_type_display', 'pg_catalog.pg_type_display'],
      ['SELECT * FROM pg_catalog.tables', 'pg_catalog.tables'],
      ['SELECT * FROM information_schema.pg_class', 'information_schema.pg_class'],
      ['SELECT * FROM information_schema.nope', 'information_schema.nope'],
      ['SELECT id FROM crm.customers WHERE id IN (SELECT 1 FROM pg_nope)', 'pg_nope'],
    ] as const) {
      const error = await failure(sql);
      assert.equal(error.code, 'TABLE_NOT_FOUND', sql);
      assert.equal(error.details?.sqlstate, '42P01', sql);
      assert.equal(error.message, `relation "${name}" does not exist`, sql);
    }
    // A CTE may carry a pg_ name; the system catalog's relations answer.
    assert.deepEqual(await w.rows('WITH pg_mine AS (SELECT 1 AS a) SELECT a FROM pg_mine', ANALYST), [[1n]]);
    assert.deepEqual(
      await w.rows("SELECT count(*) > 0 FROM pg_catalog.pg_class WHERE relname = 'pg_type'", ANALYST),
      [[true]],
    );
  });
});

describe('no oracle: an unknown function reads like a forbidden one', () => {
  test('same code, SQLSTATE, words and hint', async () => {
    const forbidden = await undefinedFunction("SELECT read_text('x') FROM crm.customers", 'read_text');
    const unknown = await undefinedFunction("SELECT no_such_thing('x') FROM crm.customers", 'no_such_thing');
    assert.equal(unknown.code, forbidden.code);
    assert.deepEqual(unknown.details, forbidden.details);
    assert.equal(unknown.message.replace('no_such_thing', 'read_text'), forbidden.message);
    // DuckDB's table function versus a name nobody has, in FROM.
    const table = await undefinedFunction('SELECT * FROM duckdb_databases()', 'duckdb_databases');
    const none = await undefinedFunction('SELECT * FROM duckdb_nothing()', 'duckdb_nothing');
    assert.equal(none.message.replace('duckdb_nothing', 'duckdb_databases'), table.message);
    // A listed function with a wrong number of arguments says the same.
    await undefinedFunction("SELECT upper('a', 'b')", 'upper');
    await undefinedFunction("SELECT lpad('7', 3)", 'lpad');
  });
});

describe('calls of the wrong kind are refused as PostgreSQL refuses them', () => {
  test('aggregate and window syntax only on aggregates and windows (42809)', async () => {
    for (const [sql, message] of [
      [
        "SELECT upper('a') OVER ()",
        'OVER specified, but upper is not a window function nor an aggregate function',
      ],
      ['SELECT row_number() FROM crm.customers', 'window function row_number requires an OVER clause'],
      [
        'SELECT upper(DISTINCT name) FROM crm.customers',
        'DISTINCT specified, but upper is not an aggregate function',
      ],
      [
        'SELECT upper(name ORDER BY id) FROM crm.customers',
        'ORDER BY specified, but upper is not an aggregate function',
      ],
      [
        'SELECT upper(name) FILTER (WHERE id > 1) FROM crm.customers',
        'FILTER specified, but upper is not an aggregate function',
      ],
      [
        'SELECT sum(1) WITHIN GROUP (ORDER BY id) FROM crm.customers',
        'sum is not an ordered-set aggregate, so it cannot have WITHIN GROUP',
      ],
      [
        'SELECT percentile_cont(0.5) FROM crm.customers',
        'WITHIN GROUP is required for ordered-set aggregate percentile_cont',
      ],
    ] as const) {
      const error = await failure(sql, ADMIN);
      assert.deepEqual(
        [error.code, error.details?.sqlstate, error.message],
        ['INVALID_QUERY', '42809', message],
        sql,
      );
    }
    const star = await failure('SELECT sum(*) FROM crm.customers', ADMIN);
    assert.equal(star.message, 'function sum(*) does not exist');
  });

  test('table functions only in FROM, other functions never as FROM items', async () => {
    const inSelect = await failure('SELECT generate_series(1, 3)');
    assert.deepEqual([inSelect.code, inSelect.details?.sqlstate], ['UNSUPPORTED', '0A000']);
    assert.match(inSelect.message, /generate_series\(\) is a table function: use it as a FROM item/);
    const inFrom = await failure("SELECT * FROM upper('a')");
    assert.deepEqual([inFrom.code, inFrom.details?.sqlstate], ['UNSUPPORTED', '0A000']);
    assert.match(inFrom.message, /upper\(\) cannot be used as a FROM item/);
  });

  test("current_setting() names only Spoke's own settings, as a constant", async () => {
    assert.deepEqual(await w.rows("SELECT current_setting('server_version_num')", ANALYST), [['150000']]);
    for (const name of [
      'memory_limit',
      'temp_directory',
      'allowed_directories',
      'home_directory',
      'secret_directory',
    ]) {
      const error = await failure(`SELECT current_setting('${name}') FROM crm.customers`, ADMIN);
      assert.deepEqual(
        [error.details?.sqlstate, error.message],
        ['42704', `unrecognized configuration parameter "${name}"`],
      );
    }
    const computed = await failure("SELECT current_setting(concat('memory', '_limit'))", ADMIN);
    assert.deepEqual([computed.code, computed.details?.sqlstate], ['UNSUPPORTED', '0A000']);
  });

  test('SIMILAR TO, LIKE … ESCAPE, SQL/JSON and XML forms, which DuckDB cannot run as PostgreSQL does, are refused', async () => {
    for (const sql of [
      "SELECT name SIMILAR TO 'c%' FROM crm.customers",
      "SELECT name LIKE 'c#%' ESCAPE '#' FROM crm.customers",
      "SELECT JSON_OBJECT('a': id) FROM crm.customers",
      'SELECT JSON_ARRAY(1, 2)',
      "SELECT JSON_VALUE('{\"a\": 1}', '$.a')",
      'SELECT id FROM crm.customers WHERE name IS JSON',
      'SELECT XMLELEMENT(NAME a, name) FROM crm.customers',
      "SELECT XMLCONCAT('<a/>')",
    ]) {
      const error = await failure(sql, ADMIN);
      assert.deepEqual([error.code, error.details?.sqlstate], ['UNSUPPORTED', '0A000'], sql);
    }
  });
});

describe('allowed table functions next to tables under policies', () => {
  test('generate_series and unnest run beside masked tables, and the masks hold through them', async () => {
    assert.deepEqual(await w.rows('SELECT count(*) FROM crm.customers, generate_series(1, 2)', ANALYST), [
      [120n],
    ]);
    const emails = await w.rows(
      'SELECT DISTINCT e FROM crm.customers c, unnest(ARRAY[c.email]) AS u(e) WHERE e IS NOT NULL',
      ANALYST,
    );
    assert.deepEqual(emails, [['***@***.com']]);
    const nested = await w.rows(
      'SELECT DISTINCT e FROM unnest(ARRAY(SELECT email FROM crm.customers WHERE email IS NOT NULL)) AS u(e)',
      ANALYST,
    );
    assert.deepEqual(nested, [['***@***.com']]);
  });

  test('aggregate_only still counts protected rows, not rows multiplied by a table function', async () => {
    // Every method group has ≥ 5 payments; the cross join may not make a smaller group look bigger.
    const rows = await w.rows(
      'SELECT method, count(*) FROM crm.payments, generate_series(1, 10) g WHERE id <= 3 GROUP BY method',
      ANALYST,
    );
    assert.deepEqual(rows, []);
  });
});

describe('the list is honest', () => {
  let engine: FederatedEngine;
  before(async () => {
    engine = await createEngine({ sources: {} });
  });
  after(async () => engine?.close());

  const T = "(VALUES (1, 1.5::double precision, 'a'), (2, 2.5, 'b'), (3, 4.0, 'b')) AS t(i, x, s)";
  const entries = ALLOWED_CALLABLES.flatMap((g) => g.callables);

  /** How the test runs an entry's example: through the system catalog, or over a relation in the residual DuckDB. */
  function exampleSql(c: AllowedCallable): string {
    if (c.kind === 'table') return `SELECT * FROM ${c.example}`;
    return c.catalogOnly ? `SELECT ${c.example}` : `SELECT ${c.example} FROM ${T}`;
  }

  test('every example runs through the engine', async () => {
    const failed: string[] = [];
    for (const c of entries) {
      if (c.spoke) continue;
      try {
        const batches = await collectBatches(await engine.query(exampleSql(c)));
        assert.ok(batches.reduce((n, b) => n + b.numRows, 0) > 0, `${c.name}: no rows`);
      } catch (error) {
        failed.push(`${c.name}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failed, []);
  });

  test('every operator example runs through the engine', async () => {
    const failed: string[] = [];
    for (const o of ALLOWED_OPERATORS) {
      try {
        await collectBatches(await engine.query(`SELECT ${o.example} FROM ${T}`));
      } catch (error) {
        failed.push(`${o.operator}: ${(error as Error).message}`);
      }
    }
    assert.deepEqual(failed, []);
  });

  test('every example passes the check with its own entry, and the arity spec parses', async () => {
    for (const c of entries) {
      const [statement] = await parseSql(exampleSql(c));
      assert.doesNotThrow(() => checkCallables(statement!.node), c.name);
      assert.match(c.args, /^\d+(-\d+|\+)?(\|\d+(-\d+|\+)?)*$/, c.name);
    }
    assert.equal(acceptsArgs('1|3', 2), false);
    assert.equal(acceptsArgs('1|3', 3), true);
    assert.equal(acceptsArgs('2+', 9), true);
    assert.equal(acceptsArgs('1-2', 0), false);
  });

  test("names and arities are DuckDB's own, or the system catalog's macros", async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      `SELECT function_name, min(len(parameters)), max(len(parameters)),
         bool_or(varargs IS NOT NULL AND varargs <> 'INVALID') FROM duckdb_functions() GROUP BY function_name`,
    );
    const duckdb = new Map(
      (reader.getRowsJS() as [string, number, number, boolean][]).map(([n, min, max, v]) => [
        n,
        { min, max, v },
      ]),
    );
    connection.closeSync();
    instance.closeSync();
    const macros = pgMacros('db', { version: 'v', database: 'd', user: 'u' });
    const problems: string[] = [];
    for (const c of entries) {
      // Grammar forms, windows and ordered-set aggregates are rewritten or special-cased by DuckDB: their examples ran.
      if (c.spoke || c.syntax || c.kind === 'window' || c.kind === 'ordered-set' || c.name === 'unnest')
        continue;
      const counts = finiteCounts(c.args);
      if (c.catalogOnly) {
        const body = macros[c.name];
        if (!body) {
          problems.push(`${c.name}: not a system catalog macro`);
          continue;
        }
        // `(a, b) AS …, (a, b, c) AS …`: the parameter lists of the overloads.
        const arities = [...body.matchAll(/(?:^|,\s*)\(([^()]*)\)\s+AS\b/g)].map((m) =>
          m[1]!.trim() === '' ? 0 : m[1]!.split(',').length,
        );
        for (const n of counts)
          if (!arities.includes(n)) problems.push(`${c.name}: the macro takes ${arities}, not ${n}`);
        continue;
      }
      const f = duckdb.get(c.name);
      if (!f) {
        problems.push(`${c.name}: DuckDB has no such function`);
        continue;
      }
      if (c.args.endsWith('+')) {
        if (!f.v) problems.push(`${c.name}: DuckDB's is not variadic`);
      } else if (!f.v) {
        for (const n of counts)
          if (n < f.min || n > f.max) problems.push(`${c.name}: DuckDB takes ${f.min}–${f.max}, not ${n}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('the table and set-returning functions are the reviewed few, none taking a relation or a path', () => {
    const rows = entries
      .filter((c) => c.kind === 'table' || c.kind === 'set-returning')
      .map((c) => `${c.kind} ${c.name}`);
    assert.deepEqual(rows.sort(), [
      'set-returning generate_subscripts',
      'set-returning regexp_split_to_table',
      'set-returning unnest',
      'table generate_series',
      // One row holding the array, beside system catalog relations only (Grafana's search-path query).
      'table string_to_array',
      'table unnest',
    ]);
    for (const [name] of FORBIDDEN) assert.deepEqual(allowedCallables(name), [], name);
    for (const name of [
      'current_query',
      'sleep_ms',
      'pg_sleep',
      'error',
      'setseed',
      'nextval',
      'format',
      'regexp_matches',
    ])
      assert.deepEqual(allowedCallables(name), [], name);
  });

  test("current_setting()'s names are exactly the system catalog's settings", async () => {
    const batches = await collectBatches(await engine.query('SELECT name FROM pg_settings'));
    const names = batches.flatMap((b) => b.toArray().map((r) => String(r.toJSON().name)));
    assert.deepEqual([...names].sort(), [...CURRENT_SETTINGS].sort());
    for (const name of CURRENT_SETTINGS) {
      const [batch] = await collectBatches(await engine.query(`SELECT current_setting('${name}') AS v`));
      assert.notEqual(batch!.toArray()[0]!.toJSON().v, null, name);
    }
  });

  test('docs/sql-functions.md is generated from the list', () => {
    assert.equal(
      readFileSync(SQL_FUNCTIONS_DOC, 'utf8'),
      renderSqlFunctionsDoc(),
      'run: node --import tsx packages/planner/scripts/sql-functions-doc.ts',
    );
  });
});

/** The argument counts a finite spec allows (`'1-3'` → 1, 2, 3); the minimum of an open one. */
function finiteCounts(spec: string): number[] {
  return spec.split('|').flatMap((part) => {
    if (part.endsWith('+')) return [Number(part.slice(0, -1))];
    const [min, max = min] = part.split('-').map(Number);
    return Array.from({ length: max! - min! + 1 }, (_, i) => min! + i);
  });
}
