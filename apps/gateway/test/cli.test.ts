import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { canonicalRows, type DemoFixture, demoFixture } from './demo-fixture.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `spoke ARGS` (the built CLI) and collects its output. */
async function spoke(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Parses RFC 4180 CSV as the CLI writes it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split('\r\n')) {
    if (line === '') continue;
    const fields: string[] = [];
    for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g))
      fields.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : (m[2] ?? ''));
    rows.push(fields);
  }
  return rows;
}

describe('spoke CLI', { timeout: 240_000 }, () => {
  let fixture: DemoFixture;
  let demo: string[];

  before(async () => {
    fixture = await demoFixture();
    demo = ['--demo', '--demo-dir', fixture.data.dir];
  });
  after(() => fixture?.close());

  it('describes itself and each command with --help', async () => {
    const top = await spoke(['--help']);
    assert.equal(top.code, 0);
    for (const word of ['serve', 'query', 'explain']) assert.match(top.stdout, new RegExp(`\\b${word}\\b`));
    const query = await spoke(['query', '--help']);
    assert.equal(query.code, 0);
    assert.match(query.stdout, /--format/);
    assert.match(query.stdout, /--config/);
    const serve = await spoke(['serve', '--help']);
    assert.equal(serve.code, 0);
    assert.match(serve.stdout, /--http-port/);
    const explain = await spoke(['explain', '--help']);
    assert.equal(explain.code, 0);
    assert.match(explain.stdout, /Usage: spoke explain/);
  });

  it('prints a query as a JSON array of row objects, equal to DuckDB', async () => {
    const sql = `SELECT c.region, c.tier, count(*) AS orders, sum(s.amount) AS revenue, min(s.sold_at) AS first_sale
      FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id
      GROUP BY c.region, c.tier ORDER BY c.region, c.tier`;
    const run = await spoke(['query', ...demo, '--format', 'json', sql]);
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as Record<string, unknown>[];
    assert.equal(rows.length, 12);
    assert.deepEqual(canonicalRows(rows), canonicalRows(await fixture.duckdb(sql)));
  });

  it('prints CSV with a header, equal to DuckDB', async () => {
    const sql = `SELECT id, name, email, region, signup_date FROM crm.customers WHERE id <= 25 ORDER BY id`;
    const run = await spoke(['query', ...demo, '--format', 'csv', sql]);
    assert.equal(run.code, 0, run.stderr);
    const [header, ...rows] = parseCsv(run.stdout);
    assert.deepEqual(header, ['id', 'name', 'email', 'region', 'signup_date']);
    const expected = (await fixture.duckdb(sql)).map((r) => Object.values(r).map(String));
    assert.deepEqual(rows, expected);
  });

  it('prints an aligned table by default', async () => {
    const run = await spoke([
      'query',
      ...demo,
      'SELECT region, count(*) AS customers FROM crm.customers GROUP BY region ORDER BY region',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] as string, /^\s*region\s*\|\s*customers\s*$/);
    assert.match(lines[1] as string, /^-+\+-+$/);
    assert.match(lines[2] as string, /^ AMER\s+\|\s+\d+$/);
    assert.equal(lines.at(-1), '(4 rows)');
  });

  it('binds --param values', async () => {
    const run = await spoke([
      'query',
      ...demo,
      '-f',
      'json',
      '-p',
      'EMEA',
      '-p',
      '10',
      'SELECT id FROM crm.customers WHERE region = $1 AND id <= $2 ORDER BY id',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const expected = await fixture.duckdb(
      `SELECT id FROM crm.customers WHERE region = 'EMEA' AND id <= 10 ORDER BY id`,
    );
    assert.deepEqual(canonicalRows(JSON.parse(run.stdout)), canonicalRows(expected));
  });

  it('explains a query', async () => {
    const run = await spoke([
      'explain',
      ...demo,
      "SELECT name FROM crm.customers WHERE region = 'APAC' LIMIT 5",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^crm: /m);
    assert.match(run.stdout, /^duckdb:/m);
  });

  it('exits 1 with one line on standard error when the query fails', async () => {
    for (const [sql, code] of [
      ['SELEC 1', 'SYNTAX_ERROR'],
      ['SELECT * FROM crm.nope', 'TABLE_NOT_FOUND'],
    ]) {
      const run = await spoke(['query', ...demo, sql as string]);
      assert.equal(run.code, 1);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, new RegExp(`^spoke: ${code}: .+\\n$`));
      assert.equal(run.stderr.split('\n').length, 2, run.stderr);
    }
  });

  it('exits 1 naming the problem for bad command lines and configs', async () => {
    const usage = await spoke(['query', ...demo, '--format', 'xml', 'SELECT 1']);
    assert.equal(usage.code, 1);
    assert.match(
      usage.stderr,
      /^spoke: --format must be table, json or csv, got "xml" \(see: spoke query --help\)\n$/,
    );
    const unknown = await spoke(['frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    // A name on Object.prototype is no command either.
    const inherited = await spoke(['constructor']);
    assert.equal(inherited.code, 1);
    assert.match(inherited.stderr, /unknown command "constructor"/);

    const env = join(fixture.root, 'env.yaml');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} reference, as a config file holds it
    await writeFile(env, 'sources:\n  crm: { connector: duckdb, path: "${SPOKE_TEST_CRM_PATH}" }\n');
    const missing = await spoke(['query', '--config', env, 'SELECT 1']);
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} reference, as a config file holds it
      'spoke: INVALID_CONFIG: sources.crm.path: environment variable SPOKE_TEST_CRM_PATH is not set (referenced as ${SPOKE_TEST_CRM_PATH})\n',
    );

    const pkg = join(fixture.root, 'pkg.yaml');
    await writeFile(pkg, 'sources:\n  erp: { connector: sap }\n');
    const notInstalled = await spoke(['query', '--config', pkg, 'SELECT 1']);
    assert.equal(notInstalled.code, 1);
    assert.match(
      notInstalled.stderr,
      /^spoke: INVALID_CONFIG: sources\.erp\.connector: .*install it: npm install @spoke\/connector-sap\n$/,
    );
  });

  it('runs a config file whose paths are relative to it, with $ENV references interpolated', async () => {
    const file = join(fixture.root, 'spoke.yaml');
    await writeFile(
      file,
      `sources:
  crm: { connector: duckdb, path: "demo/\${SPOKE_TEST_CRM_FILE}" }
  lake: { connector: duckdb, files: { sales: demo/lake/sales/*.parquet } }
`,
    );
    const sql =
      'SELECT count(*) AS n, sum(s.amount) AS total FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id WHERE c.tier = $1';
    const run = await spoke(['query', '--config', file, '-f', 'json', '-p', 'enterprise', sql], {
      SPOKE_TEST_CRM_FILE: 'crm.duckdb',
    });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      canonicalRows(JSON.parse(run.stdout)),
      canonicalRows(await fixture.duckdb(sql.replace('$1', "'enterprise'"))),
    );
  });

  it('serves on port 0, prints where, and stops cleanly on SIGTERM', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI, 'serve', ...demo, '--workers', '1', '--http-port', '0', '--postgres-port', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      let err = '';
      child.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
      });
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner in time: ${out} ${err}`)), 60_000);
        child.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m && out.includes('Press Ctrl+C')) {
            clearTimeout(timer);
            resolve(m[1] as string);
          }
        });
        child.on('exit', () => reject(new Error(`exited early: ${out} ${err}`)));
      });
      assert.match(out, /Postgres\s+postgresql:\/\/127\.0\.0\.1:\d+/);
      assert.match(out, /psql -h 127\.0\.0\.1 -p \d+/);
      assert.match(out, /curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/query/);
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      const res = await fetch(`${url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM lake.sales' }),
      });
      assert.deepEqual(await res.json(), { columns: [{ name: 'n', type: 'int64' }], rows: [[100000]] });
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await Promise.race([
        exited,
        // unref: the timer must not keep the test file running once the gateway has exited.
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('no exit after SIGTERM')), 15_000).unref(),
        ),
      ])) as [number];
      assert.equal(code, 0, err);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
