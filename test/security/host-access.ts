/**
 * Attack class 1 and 2: host access from SQL, and policy bypass through the
 * sources' own files. Every file, network and introspection function of the
 * residual engine, in every position of a statement, qualified every way,
 * with and without a policy table in the query; DuckDB's replacement scans
 * (`FROM "/etc/passwd"`); DuckDB statements (COPY, LOAD, SET); and a local
 * HTTP server that must receive no request. Expected: 42883 (function does
 * not exist) or 42P01 (relation does not exist), and nothing of any host
 * file or protected value in anything the client receives.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe } from 'node:test';
import {
  assertCleanSql,
  basicAuth,
  brief,
  FlightSession,
  httpRun,
  leaksIn,
  type Outcome,
  PgSession,
} from './attack-clients.js';
import { assertNoProblems, attack } from './attack-test.js';
import { ENV_NAME, PASSWORDS, SENTINELS, type SecurityFixture, securityFixture } from './security-fixture.js';

/** One callable of the residual engine that reaches outside the query. */
interface HostCall {
  readonly name: string;
  readonly kind: 'table' | 'scalar';
  /** The call with its arguments, after `qualifier` (`''`, `main.`…). */
  readonly call: (fx: SecurityFixture, qualifier: string) => string;
  /** SQLSTATEs that count as the right refusal (default: 42883). */
  readonly codes?: readonly string[];
  /** What the refusal may name instead of the function (a setting's name). */
  readonly names?: string;
}

const q = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The table functions and scalar functions the issue lists, each aimed at something worth stealing. */
export const HOST_CALLS: readonly HostCall[] = [
  { name: 'read_text', kind: 'table', call: (_, p) => `${p}read_text('/etc/passwd')` },
  { name: 'read_text (config file)', kind: 'table', call: (fx, p) => `${p}read_text(${q(fx.paths.config)})` },
  { name: 'read_text (audit log)', kind: 'table', call: (fx, p) => `${p}read_text(${q(fx.paths.audit)})` },
  { name: 'read_blob', kind: 'table', call: (_, p) => `${p}read_blob('/etc/passwd')` },
  { name: 'read_csv', kind: 'table', call: (_, p) => `${p}read_csv('/etc/passwd')` },
  { name: 'read_csv_auto', kind: 'table', call: (fx, p) => `${p}read_csv_auto(${q(fx.paths.hostCsv)})` },
  { name: 'read_json', kind: 'table', call: (fx, p) => `${p}read_json(${q(fx.paths.audit)})` },
  { name: 'read_json_auto', kind: 'table', call: (fx, p) => `${p}read_json_auto(${q(fx.paths.audit)})` },
  { name: 'read_parquet', kind: 'table', call: (fx, p) => `${p}read_parquet(${q(fx.paths.badgesParquet)})` },
  { name: 'parquet_scan', kind: 'table', call: (fx, p) => `${p}parquet_scan(${q(fx.paths.vaultParquet)})` },
  {
    name: 'parquet_metadata',
    kind: 'table',
    call: (fx, p) => `${p}parquet_metadata(${q(fx.paths.badgesParquet)})`,
  },
  {
    name: 'parquet_schema',
    kind: 'table',
    call: (fx, p) => `${p}parquet_schema(${q(fx.paths.vaultParquet)})`,
  },
  { name: 'glob', kind: 'table', call: (_, p) => `${p}glob('/etc/*')` },
  { name: 'sniff_csv', kind: 'table', call: (_, p) => `${p}sniff_csv('/etc/passwd')` },
  {
    name: 'query',
    kind: 'table',
    call: (fx, p) => `${p}query(${q(`SELECT * FROM read_csv_auto(${q(fx.paths.hostCsv)})`)})`,
  },
  { name: 'query_table', kind: 'table', call: (_, p) => `${p}query_table('duckdb_settings')` },
  { name: 'duckdb_settings', kind: 'table', call: (_, p) => `${p}duckdb_settings()` },
  { name: 'duckdb_databases', kind: 'table', call: (_, p) => `${p}duckdb_databases()` },
  { name: 'duckdb_tables', kind: 'table', call: (_, p) => `${p}duckdb_tables()` },
  { name: 'duckdb_extensions', kind: 'table', call: (_, p) => `${p}duckdb_extensions()` },
  { name: 'duckdb_functions', kind: 'table', call: (_, p) => `${p}duckdb_functions()` },
  { name: 'duckdb_secrets', kind: 'table', call: (_, p) => `${p}duckdb_secrets()` },
  { name: 'pragma_database_list', kind: 'table', call: (_, p) => `${p}pragma_database_list()` },
  { name: 'pragma_table_info', kind: 'table', call: (_, p) => `${p}pragma_table_info('duckdb_settings')` },
  { name: 'pragma_version', kind: 'table', call: (_, p) => `${p}pragma_version()` },
  { name: 'getenv', kind: 'scalar', call: (_, p) => `${p}getenv('${ENV_NAME}')` },
  {
    name: "current_setting('temp_directory')",
    kind: 'scalar',
    call: (_, p) => `${p}current_setting('temp_directory')`,
    codes: ['42704', '42883'],
    names: 'temp_directory',
  },
  {
    name: "current_setting('home_directory')",
    kind: 'scalar',
    call: (_, p) => `${p}current_setting('home_directory')`,
    codes: ['42704', '42883'],
    names: 'home_directory',
  },
  {
    name: "current_setting('enable_external_access')",
    kind: 'scalar',
    call: (_, p) => `${p}current_setting('enable_external_access')`,
    codes: ['42704', '42883'],
    names: 'enable_external_access',
  },
];

/** A table the analyst reads under policies (mask and row filter), and one with none. */
const POLICY_TABLE = 'hr.employees';
const PLAIN_TABLE = 'hr.departments';

type Position = readonly [
  name: string,
  build: (call: string, kind: HostCall['kind'], table?: string) => string,
];

/** Where a call can sit in a statement; `table` is the other table in the query, if any. */
const POSITIONS: readonly Position[] = [
  [
    'FROM',
    (f, kind, t) =>
      kind === 'table'
        ? `SELECT * FROM ${t ? `${t} AS p, ` : ''}${f} AS f`
        : `SELECT * FROM ${t ? `${t} AS p, ` : ''}(SELECT ${f} AS v) AS f`,
  ],
  ['select list', (f, _k, t) => `SELECT ${f} AS x${t ? ` FROM ${t} AS p` : ''}`],
  [
    'WHERE',
    (f, kind, t) =>
      kind === 'table'
        ? `SELECT 1 AS x${t ? ` FROM ${t} AS p` : ''} WHERE EXISTS (SELECT 1 FROM ${f} AS f)`
        : `SELECT 1 AS x${t ? ` FROM ${t} AS p` : ''} WHERE ${f} IS NOT NULL`,
  ],
  [
    'subquery',
    (f, kind, t) =>
      `SELECT * FROM (SELECT * FROM ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`}) AS s${t ? `, ${t} AS p` : ''}`,
  ],
  [
    'CTE',
    (f, kind, t) =>
      `WITH s AS (SELECT * FROM ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`}) SELECT * FROM s${t ? `, ${t} AS p` : ''}`,
  ],
  [
    'LATERAL',
    (f, kind, t) =>
      `SELECT * FROM ${t ? `${t} AS p` : '(SELECT 1 AS one) AS p'}, LATERAL (SELECT * FROM ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`}) AS l`,
  ],
  [
    'INSERT … SELECT',
    (f, kind, t) =>
      kind === 'table'
        ? `INSERT INTO lake.events (id, kind) SELECT 9001, 'probe' FROM ${f} AS f${t ? `, ${t === POLICY_TABLE ? 'files.badges' : t} AS p` : ''}`
        : `INSERT INTO lake.events (id, kind) SELECT 9002, ${f}${t ? ` FROM ${t === POLICY_TABLE ? 'files.badges' : t} AS p` : ''}`,
  ],
  [
    'UNION',
    (f, kind, t) =>
      `SELECT 1 AS x${t ? ` FROM ${t} AS p` : ''} UNION ALL SELECT count(*) FROM ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`}`,
  ],
  [
    'ORDER BY',
    (f, kind, t) =>
      `SELECT 1 AS x${t ? ` FROM ${t} AS p` : ''} ORDER BY (SELECT count(*) FROM ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`})`,
  ],
  [
    'JOIN … ON',
    (f, kind, t) =>
      `SELECT * FROM ${t ?? PLAIN_TABLE} AS p JOIN ${kind === 'table' ? `${f} AS f` : `(SELECT ${f} AS v) AS f`} ON true`,
  ],
  [
    'EXPLAIN',
    (f, kind, t) =>
      kind === 'table'
        ? `EXPLAIN SELECT * FROM ${f} AS f${t ? `, ${t} AS p` : ''}`
        : `EXPLAIN SELECT ${f} AS v${t ? ` FROM ${t} AS p` : ''}`,
  ],
];

const QUALIFIERS = ['', 'main.', 'pg_catalog.', 'system.main.'] as const;
/** What a schema- or catalog-qualified name may also be refused with (schema / cross-database). */
const QUALIFIED_CODES = ['42883', '3F000', '0A000'];

/** Why `o` is not the refusal expected (undefined when it is), leaks first. */
export function refusalProblem(
  o: Outcome,
  codes: readonly string[],
  names?: readonly string[],
): string | undefined {
  const leaked = leaksIn(o.seen, SENTINELS);
  if (leaked.length) return `LEAKED ${leaked.join(', ')}: ${brief(o)}`;
  if (o.ok) return `answered: ${brief(o)}`;
  if (o.protocol === 'pg' && !codes.includes(o.code ?? '')) return `expected ${codes.join('/')}: ${brief(o)}`;
  if (o.protocol !== 'pg' && o.code === 'INTERNAL') return `internal error: ${brief(o)}`;
  if (names && !names.some((n) => (o.message ?? '').toLowerCase().includes(n.toLowerCase())))
    return `the message does not name ${names.map((n) => `"${n}"`).join(' or ')}: ${brief(o)}`;
  return undefined;
}

/** Every variation of one call: positions × with/without a (policy) table × qualifiers. */
function variations(fx: SecurityFixture, c: HostCall): { sql: string; codes: readonly string[] }[] {
  const out: { sql: string; codes: readonly string[] }[] = [];
  const codes = c.codes ?? ['42883'];
  for (const [position, build] of POSITIONS) {
    for (const table of [undefined, POLICY_TABLE, ...(position === 'FROM' ? [PLAIN_TABLE] : [])])
      out.push({ sql: build(c.call(fx, ''), c.kind, table), codes });
    if (position === 'FROM' || position === 'select list' || position === 'WHERE')
      for (const qualifier of QUALIFIERS.slice(1))
        for (const table of [undefined, POLICY_TABLE])
          out.push({
            sql: build(c.call(fx, qualifier), c.kind, table),
            codes: [...new Set([...codes, ...QUALIFIED_CODES])],
          });
    if (position === 'FROM' || position === 'select list')
      for (const spelled of respell(c.call(fx, '')))
        for (const table of [undefined, POLICY_TABLE])
          out.push({ sql: build(spelled, c.kind, table), codes });
  }
  return out;
}

/** The same call with its name upper-cased and quoted (`READ_TEXT(…)`, `"read_text"(…)`). */
function respell(call: string): string[] {
  const name = /^[a-z_]+/.exec(call)![0];
  const rest = call.slice(name.length);
  return [`${name.toUpperCase()}${rest}`, `"${name}"${rest}`];
}

/** The bare function name the refusal should name (`read_text` for `read_text (config file)`). */
function functionName(c: HostCall): readonly string[] {
  return [/^[a-z_]+/.exec(c.name)![0], ...(c.names ? [c.names] : [])];
}

describe('1. host access from SQL', () => {
  for (const c of HOST_CALLS) {
    attack(
      `${c.name}: refused in every position, qualified or not, with or without a policy table`,
      async () => {
        const fx = await securityFixture();
        const session = new PgSession(fx.main.pgPort, 'analyst');
        const problems: string[] = [];
        try {
          for (const v of variations(fx, c)) {
            assertCleanSql(v.sql, SENTINELS);
            const p = refusalProblem(await session.run(v.sql), v.codes, functionName(c));
            if (p) problems.push(p);
          }
        } finally {
          await session.close();
        }
        assertNoProblems(problems, c.name);
      },
    );
  }

  attack(
    'over HTTP and Flight: every host call in FROM is refused naming the function, nothing leaks',
    async () => {
      const fx = await securityFixture();
      const flight = new FlightSession(fx.main.flightAddress!, 'analyst');
      const problems: string[] = [];
      try {
        for (const c of HOST_CALLS) {
          const sql = POSITIONS[0]![1](c.call(fx, ''), c.kind);
          for (const o of [await httpRun(fx.main.url, 'analyst', sql), await flight.run(sql)]) {
            const p = refusalProblem(o, c.codes ?? ['42883'], functionName(c));
            if (p) problems.push(p);
            else if (o.protocol === 'http' && (o.status ?? 0) >= 500)
              problems.push(`HTTP ${o.status}: ${brief(o)}`);
          }
        }
      } finally {
        flight.close();
      }
      assertNoProblems(problems, 'HTTP and Flight');
    },
  );

  attack('replacement scans: FROM "<file>" is a missing relation (42P01) in every position', async () => {
    const fx = await securityFixture();
    const session = new PgSession(fx.main.pgPort, 'analyst');
    const files = [
      '/etc/passwd',
      fx.paths.hostCsv,
      fx.paths.badgesParquet,
      fx.paths.vaultParquet,
      fx.paths.audit,
    ];
    const problems: string[] = [];
    try {
      for (const file of files) {
        const id = `"${file.replaceAll('"', '""')}"`;
        const statements = [
          `SELECT * FROM ${id}`,
          `SELECT * FROM ${id} AS f, ${POLICY_TABLE} AS p`,
          `SELECT * FROM (SELECT * FROM ${id}) AS s`,
          `WITH s AS (SELECT * FROM ${id}) SELECT * FROM s`,
          `SELECT 1 AS x WHERE EXISTS (SELECT 1 FROM ${id})`,
          `SELECT * FROM ${POLICY_TABLE} AS p, LATERAL (SELECT * FROM ${id}) AS l`,
          `EXPLAIN SELECT * FROM ${id}`,
          `INSERT INTO lake.events (id, kind) SELECT 9003, 'probe' FROM ${id}`,
        ];
        for (const sql of statements) {
          const p = refusalProblem(await session.run(sql), ['42P01']);
          if (p) problems.push(p);
        }
        for (const schema of ['information_schema', 'main', 'pg_catalog', 'hr']) {
          const p = refusalProblem(await session.run(`SELECT * FROM ${schema}.${id}`), ['42P01', '3F000']);
          if (p) problems.push(p);
        }
      }
    } finally {
      await session.close();
    }
    assertNoProblems(problems, 'replacement scans');
  });

  attack(
    'the network: reading http://127.0.0.1 from SQL is refused and the server receives no request',
    async () => {
      const fx = await securityFixture();
      let requests = 0;
      const server: Server = createServer((_req, res) => {
        requests++;
        res.end('k,v\n1,CSVSECRET-over-http\n');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const session = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      try {
        const attempts: [string, string[]][] = [
          [`SELECT * FROM read_text('${base}/a.txt')`, ['42883']],
          [`SELECT * FROM read_blob('${base}/a.bin')`, ['42883']],
          [`SELECT * FROM read_csv('${base}/b.csv')`, ['42883']],
          [`SELECT * FROM read_csv_auto('${base}/b.csv')`, ['42883']],
          [`SELECT * FROM read_json_auto('${base}/c.json')`, ['42883']],
          [`SELECT * FROM read_parquet('${base}/d.parquet')`, ['42883']],
          [`SELECT * FROM "${base}/e.csv"`, ['42P01']],
          [`SELECT * FROM hr.employees AS p, read_text('${base}/f.txt') AS f`, ['42883']],
          [`SELECT * FROM query('SELECT * FROM read_text(''${base}/g.txt'')')`, ['42883']],
        ];
        for (const [sql, codes] of attempts) {
          const p = refusalProblem(await session.run(sql), codes);
          if (p) problems.push(p);
        }
        for (const sql of [`LOAD 'httpfs'`, `SELECT * FROM read_text('${base}/h.txt')`]) {
          const o = await session.run(sql);
          if (o.ok) problems.push(`answered: ${brief(o)}`);
        }
      } finally {
        await session.close();
        await new Promise<void>((r) => server.close(() => r()));
      }
      if (requests > 0)
        problems.push(`the local HTTP server received ${requests} request(s) from the gateway`);
      assertNoProblems(problems, 'network access');
    },
  );

  attack(
    'DuckDB statements: COPY TO/FROM files, LOAD, SET of engine settings, then a file read is still refused',
    async () => {
      const fx = await securityFixture();
      const session = new PgSession(fx.main.pgPort, 'analyst');
      const out1 = join(fx.dir, 'copied-1.csv');
      const out2 = join(fx.dir, 'copied-2.csv');
      const problems: string[] = [];
      try {
        for (const sql of [
          `COPY (SELECT 1 AS x) TO ${q(out1)}`,
          `COPY (SELECT * FROM hr.departments) TO ${q(out2)} (FORMAT csv)`,
          `COPY lake.events FROM ${q(fx.paths.hostCsv)}`,
          `LOAD 'httpfs'`,
          'SET enable_external_access = true',
          "SET allowed_directories = '/'",
          'SET lock_configuration = false',
          "SET temp_directory = '/tmp'",
          'RESET ALL',
          'CALL pragma_version()',
          `CREATE VIEW leak AS SELECT * FROM read_text('/etc/passwd')`,
          `CREATE TEMP TABLE leak AS SELECT * FROM read_text('/etc/passwd')`,
        ]) {
          const o = await session.run(sql);
          const leaked = leaksIn(o.seen, SENTINELS);
          if (leaked.length) problems.push(`LEAKED ${leaked.join(', ')}: ${brief(o)}`);
          else if (o.ok && !/^(SET|RESET)/.test(sql)) problems.push(`answered: ${brief(o)}`);
          else if (!o.ok && o.code === 'XX000') problems.push(`internal error: ${brief(o)}`);
        }
        // Whatever the SETs did, the session still cannot read the host.
        const after = refusalProblem(await session.run(`SELECT * FROM read_text('/etc/passwd')`), ['42883']);
        if (after) problems.push(`after the SETs: ${after}`);
        const prepared = await session.run('SELECT * FROM read_text($1)', ['/etc/passwd']);
        const p = refusalProblem(prepared, ['42883']);
        if (p) problems.push(`with a parameter: ${p}`);
        const multi = await session.run(`SELECT 1 AS one; SELECT * FROM read_text('/etc/passwd')`);
        const m = refusalProblem(multi, ['42883']);
        if (m) problems.push(`second statement of a batch: ${m}`);
      } finally {
        await session.close();
      }
      for (const f of [out1, out2])
        if (existsSync(f)) problems.push(`COPY … TO wrote ${f} on the gateway host`);
      assertNoProblems(problems, 'DuckDB statements');
    },
  );
});

describe('1b. host access through statement wrappers and the PostgreSQL source', () => {
  attack(
    'PREPARE, cursors, COPY … TO STDOUT, CREATE TABLE AS, /v1/explain: a file function is refused in each',
    async () => {
      const fx = await securityFixture();
      const session = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      const call = "read_text('/etc/passwd')";
      try {
        for (const sql of [
          `PREPARE leak AS SELECT * FROM ${call}`,
          'EXECUTE leak',
          `DECLARE leak CURSOR FOR SELECT * FROM ${call}`,
          `BEGIN; DECLARE leak2 CURSOR FOR SELECT * FROM ${call}; FETCH ALL FROM leak2; COMMIT`,
          `COPY (SELECT * FROM ${call}) TO STDOUT`,
          `CREATE TABLE lake.leak_copy AS SELECT * FROM ${call}`,
          `SELECT * FROM ${call.replace("'/etc/passwd'", "['/etc/passwd']")}`,
          `SELECT * FROM ${call.replace('read_text', 'read_text ')}`,
          `SELECT (SELECT content FROM ${call}) AS c`,
          `VALUES ((SELECT content FROM ${call}))`,
          `SELECT CASE WHEN true THEN (SELECT content FROM ${call}) END AS c`,
        ]) {
          const o = await session.run(sql);
          const leaked = leaksIn(o.seen, SENTINELS);
          if (leaked.length) problems.push(`LEAKED ${leaked.join(', ')}: ${brief(o)}`);
          else if (o.ok) problems.push(`answered: ${brief(o)}`);
          else if (o.code === 'XX000') problems.push(`internal error: ${brief(o)}`);
        }
        await session.run('ROLLBACK');
      } finally {
        await session.close();
      }
      const explain = await fetch(`${fx.main.url}/v1/explain`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: basicAuth('analyst', PASSWORDS.analyst),
        },
        body: JSON.stringify({ sql: `SELECT * FROM ${call}` }),
      });
      const body = await explain.text();
      if (explain.ok) problems.push(`/v1/explain answered ${explain.status}: ${body.slice(0, 200)}`);
      const leaked = leaksIn(body, SENTINELS);
      if (leaked.length) problems.push(`/v1/explain LEAKED ${leaked.join(', ')}`);
      assertNoProblems(problems, 'statement wrappers');
    },
  );

  attack(
    "PostgreSQL's own file and SQL-running functions are refused on the pushed path (42883)",
    async () => {
      const fx = await securityFixture();
      const session = new PgSession(fx.main.pgPort, 'analyst');
      const problems: string[] = [];
      // Each would run inside the PostgreSQL source, as the gateway's (here: superuser) connection.
      const calls = [
        "pg_read_file('/etc/passwd')",
        "pg_read_binary_file('/etc/passwd')",
        "pg_stat_file('/etc/passwd')",
        "lo_import('/etc/passwd')",
        "query_to_xml('select memo, amount from public.ledger', true, false, '')",
        "table_to_xml('public.ledger', true, false, '')",
        "cursor_to_xml('c', 10, true, false, '')",
        "database_to_xml(true, false, '')",
        "set_config('search_path', 'public', false)",
        'pg_reload_conf()',
        'pg_terminate_backend(1)',
        "current_setting('data_directory')",
        "current_setting('hba_file')",
      ];
      try {
        for (const c of calls) {
          const name = /^[a-z_]+/.exec(c)![0];
          const isSetting = c.startsWith('current_setting');
          for (const sql of [
            `SELECT ${c} AS x FROM pg.public.products WHERE id = 1`,
            `SELECT count(*) AS n FROM pg.public.products WHERE ${c} IS NOT NULL`,
            // Alone, set_config is the caller's own session setting, answered by Spoke (as PostgreSQL's is).
            ...(name === 'set_config' ? [] : [`SELECT ${c} AS x`]),
          ]) {
            const p = refusalProblem(
              await session.run(sql),
              isSetting ? ['42704', '42883'] : ['42883'],
              isSetting ? [name, /'([a-z_]+)'/.exec(c)![1]!] : [name],
            );
            if (p) problems.push(p);
          }
        }
        for (const sql of [
          "SELECT * FROM pg.public.products WHERE id = 1 AND EXISTS (SELECT pg_read_file('/etc/passwd'))",
          "SELECT xpath('//memo/text()', query_to_xml('select memo from public.ledger', true, false, '')) AS x FROM pg.public.products WHERE id = 1",
          "SELECT * FROM ROWS FROM (pg_ls_dir('/etc')) AS f(name)",
          "SELECT * FROM pg_ls_dir('/etc') AS f(name)",
        ]) {
          const p = refusalProblem(await session.run(sql), ['42883']);
          if (p) problems.push(p);
        }
      } finally {
        await session.close();
      }
      assertNoProblems(problems, 'PostgreSQL server functions');
    },
  );
});

describe('2. policy bypass through the sources’ own files', () => {
  attack(
    'read_blob / read_text / read_parquet of the source files: refused, no protected value',
    async () => {
      const fx = await securityFixture();
      const hr = q(fx.paths.hr);
      const lanceData = q(`${fx.paths.lance}/diary.lance/data/*.lance`);
      // Patterns are concatenated in SQL so that the statement itself never holds a sentinel.
      const attempts = [
        `SELECT regexp_extract(CAST(content AS VARCHAR), 'TOP' || 'SECRET-[a-z]+') AS s FROM read_blob(${hr})`,
        `SELECT regexp_extract_all(CAST(content AS VARCHAR), '[A-Z][a-z]+ Hidden' || 'row') AS s FROM read_blob(${hr})`,
        `SELECT regexp_extract_all(CAST(content AS VARCHAR), '987-65-' || '[0-9]{4}') AS s FROM read_blob(${hr})`,
        `SELECT substr(CAST(content AS VARCHAR), 1, 100000) AS s FROM read_blob(${hr})`,
        `SELECT * FROM read_text(${hr})`,
        `SELECT content FROM read_blob(${hr}), hr.employees AS p WHERE p.id = 1`,
        `SELECT * FROM read_parquet(${q(fx.paths.badgesParquet)})`,
        `SELECT * FROM read_parquet(${q(fx.paths.vaultParquet)})`,
        `SELECT * FROM read_parquet(${q(`${fx.dir}/parquet/*/*.parquet`)}, union_by_name = true)`,
        `SELECT stats_min_value, stats_max_value FROM parquet_metadata(${q(fx.paths.badgesParquet)})`,
        `SELECT regexp_extract(CAST(content AS VARCHAR), 'DIARY' || 'SECRET-[a-z0-9-]+') AS s FROM read_blob(${lanceData})`,
        `SELECT * FROM query('SELECT * FROM read_blob(''${fx.paths.hr}'')')`,
      ];
      const session = new PgSession(fx.main.pgPort, 'analyst');
      const flight = new FlightSession(fx.main.flightAddress!, 'analyst');
      const problems: string[] = [];
      try {
        for (const sql of attempts) {
          assertCleanSql(sql, SENTINELS);
          for (const o of [
            await session.run(sql),
            await httpRun(fx.main.url, 'analyst', sql),
            await flight.run(sql),
          ]) {
            const p = refusalProblem(o, ['42883']);
            if (p) problems.push(p);
          }
        }
      } finally {
        await session.close();
        flight.close();
      }
      assertNoProblems(problems, 'source files');
    },
  );
});
