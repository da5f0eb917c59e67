/**
 * The SQL front end on long and deep statements: long ones are parsed in a
 * worker thread (same tree as parsing inline, same errors, the event loop
 * stays free meanwhile), and statements nested deeper than MAX_PARSE_DEPTH
 * are refused with SQLSTATE 54001 instead of overflowing a stack later.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSync } from 'libpg-query';
import { loadParser, parseSql, WORKER_THRESHOLD } from '../src/parse/parse-sql.js';
import { MAX_PARSE_DEPTH, parseTreeDepth } from '../src/parse/parse-tree-depth.js';

/** `SELECT … WHERE id IN (0, 1, 2, …)` of about `bytes` characters. */
function inList(bytes: number): string {
  const items: string[] = [];
  let size = 60;
  for (let i = 0; size < bytes; i++) {
    items.push(String(i));
    size += String(i).length + 1;
  }
  return `SELECT count(*) FROM sales WHERE id IN (${items.join(',')})`;
}

describe('parseSql', { timeout: 120_000 }, () => {
  it('answers a statement parsed again with an equal, fresh tree (planning rewrites trees in place)', async () => {
    const sql = 'SELECT a.x, b.y FROM s.a JOIN t.b ON b.k = a.k WHERE a.x > $1; SELECT \'é\' AS "naïve"';
    const first = await parseSql(sql);
    const expected = JSON.stringify(first);
    for (let i = 0; i < 4; i++) {
      const again = await parseSql(sql);
      assert.equal(JSON.stringify(again), expected, `parse ${i + 2}`);
      assert.notEqual(again[0]!.node, first[0]!.node);
      // A caller's rewrite of its tree is not seen by the next caller.
      delete (again[0]!.node as { SelectStmt?: { whereClause?: unknown } }).SelectStmt!.whereClause;
    }
    assert.deepEqual(
      (await parseSql(sql)).map((s) => s.sql),
      ['SELECT a.x, b.y FROM s.a JOIN t.b ON b.k = a.k WHERE a.x > $1', `SELECT 'é' AS "naïve"`],
    );
    await assert.rejects(parseSql('SELEC 1'), /syntax error/);
    await assert.rejects(parseSql('SELEC 1'), /syntax error/);
    await assert.rejects(parseSql('SELEC 1'), /syntax error/);
  });

  it('parses a long statement (in the worker) to the same tree as parsing inline', async () => {
    await loadParser();
    const sql = `${inList(WORKER_THRESHOLD * 4)}; SELECT 'é' AS "naïve"`;
    const statements = await parseSql(sql);
    const inline = parseSync(sql) as { stmts: { stmt: unknown }[] };
    assert.equal(statements.length, 2);
    assert.deepEqual(
      statements.map((s) => s.node),
      inline.stmts.map((s) => s.stmt),
    );
    assert.equal(statements[1]!.sql, `SELECT 'é' AS "naïve"`);
  });

  it('reports a syntax error in a long statement with its position', async () => {
    const sql = `${inList(WORKER_THRESHOLD * 2)} AND AND`;
    await assert.rejects(
      parseSql(sql),
      (error: Error & { code?: string; details?: { position?: number } }) => {
        assert.equal(error.code, 'SYNTAX_ERROR');
        assert.match(error.message, /syntax error at or near "AND" at position \d+/);
        assert.equal(error.details?.position, sql.lastIndexOf('AND') + 1);
        return true;
      },
    );
  });

  it('keeps the event loop free while a long statement is parsed', async () => {
    const sql = inList(512 * 1024);
    let started = performance.now();
    parseSync(sql);
    const inlineMs = performance.now() - started;
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    started = performance.now();
    await parseSql(sql);
    const workerMs = performance.now() - started;
    delay.disable();
    const maxMs = delay.max / 1e6;
    // Only the JSON of the tree is turned into objects on this thread, a slice at a time (one parse of the
    // whole tree's JSON held it 40–110 ms at this size; the slices 15–45 ms).
    assert.ok(
      maxMs < 100,
      `event loop stalled ${maxMs.toFixed(0)} ms (parse: ${inlineMs.toFixed(0)} ms inline, ${workerMs.toFixed(0)} ms through the worker)`,
    );
  });

  it('refuses statements nested deeper than MAX_PARSE_DEPTH with 54001, short or long', async () => {
    const deep = (n: number) => `SELECT 1 WHERE x > 1${'+1'.repeat(n)}`;
    // Within the limit: parsed.
    const [ok] = await parseSql(deep(MAX_PARSE_DEPTH - 50));
    assert.ok(parseTreeDepth(ok!.node) <= MAX_PARSE_DEPTH);
    const long = `${deep(MAX_PARSE_DEPTH + 10)} AND y IN (${'1,'.repeat(WORKER_THRESHOLD)}1)`;
    assert.ok(long.length >= WORKER_THRESHOLD);
    const subqueries = `SELECT ${'(SELECT '.repeat(600)}1${')'.repeat(600)}`;
    // The parser itself overflows its stack on this one: reported the same way.
    const overflow = deep(20_000);
    for (const sql of [deep(MAX_PARSE_DEPTH + 10), long, subqueries, overflow]) {
      await assert.rejects(
        parseSql(sql),
        (error: Error & { code?: string; details?: { sqlstate?: string } }) => {
          assert.equal(error.code, 'INVALID_QUERY', error.message);
          assert.equal(error.details?.sqlstate, '54001');
          assert.match(
            error.message,
            /^stack depth limit exceeded: the statement nests more than 1000 levels/,
          );
          return true;
        },
      );
    }
  });

  it('does not keep the process alive once parsing is done', () => {
    const module = fileURLToPath(new URL('../src/parse/parse-sql.ts', import.meta.url));
    const script = `const { parseSql } = await import(${JSON.stringify(module)});
      const [s] = await parseSql('SELECT ' + '1,'.repeat(${WORKER_THRESHOLD}) + '1');
      console.log(Object.keys(s.node)[0]);`;
    const started = Date.now();
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'SelectStmt');
    assert.ok(Date.now() - started < 30_000);
  });
});
