/**
 * Run by hidden-classes.test.ts in a child process:
 *
 * - `probe.ts DIR same-map` (under `--allow-natives-syntax`) answers the same
 *   pushed-down and federated queries twice over DuckDB files and prints, as
 *   JSON, whether the objects each answer is made of have the same V8 hidden
 *   class (map) both times;
 * - `probe.ts DIR count N` (under `--log-maps`) answers each query N times
 *   after a warm-up, between two marker objects, for the test to count the
 *   maps V8 made in between.
 */
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
// The built package, as the gateway runs it: tsx's own transform adds hidden classes of its own (keepNames).
import { createEngine, type QueryResult } from '@spoke/planner';

const [dir, mode, n] = process.argv.slice(2) as [string, 'same-map' | 'count', string | undefined];
for (const name of ['a', 'b']) {
  const instance = await DuckDBInstance.create(join(dir, `${name}.duckdb`));
  const connection = await instance.connect();
  await connection.run(
    `CREATE TABLE t AS SELECT i::BIGINT AS id, (i % 10)::INTEGER AS k, 'v' || i AS v FROM range(1000) r(i)`,
  );
  connection.closeSync();
  instance.closeSync();
}
const engine = await createEngine({
  sources: {
    a: await duckdbConnector.create({ path: join(dir, 'a.duckdb') }, { sourceName: 'a', baseDir: dir }),
    b: await duckdbConnector.create({ path: join(dir, 'b.duckdb') }, { sourceName: 'b', baseDir: dir }),
  },
});

/** The answer's result object, its stream and its first batch. */
async function answer(sql: string, id: number, controller?: AbortController) {
  const result: QueryResult = await engine.query(sql, {
    params: [BigInt(id)],
    ...(controller ? { signal: controller.signal, controller } : {}),
  });
  const stream = result.batches[Symbol.asyncIterator]();
  const first = await stream.next();
  while (!(await stream.next()).done) {
    // read to the end
  }
  return { result, stream, batch: first.value };
}

const cases = {
  pushed: 'SELECT id, k, v FROM a.main.t WHERE id = $1',
  federated: 'SELECT x.id, y.v FROM a.main.t x JOIN b.main.t y ON y.id = x.id WHERE x.id = $1',
};
if (mode === 'count') {
  // Warm up (plan cache, the first queries' one-off hidden classes), then the measured runs between two markers:
  // objects with a property name of their own, whose maps the test finds in the log.
  for (const sql of Object.values(cases)) for (let i = 0; i < 50; i++) await answer(sql, i);
  const marker = (name: string) => ({ [name]: true });
  marker('__spoke_probe_start');
  for (const sql of Object.values(cases)) for (let i = 0; i < Number(n); i++) await answer(sql, i);
  marker('__spoke_probe_end');
  await engine.close();
  process.exit(0);
}
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;
const out: Record<string, boolean> = {};
for (const [name, sql] of Object.entries(cases)) {
  for (const controlled of [false, true]) {
    // Warm up: plan cache, the first query's one-off hidden classes.
    for (let i = 0; i < 5; i++) await answer(sql, i, controlled ? new AbortController() : undefined);
    const x = await answer(sql, 11, controlled ? new AbortController() : undefined);
    const y = await answer(sql, 12, controlled ? new AbortController() : undefined);
    const label = `${name}${controlled ? ' (own controller)' : ''}`;
    out[`${label}: result`] = sameMap(x.result, y.result);
    out[`${label}: stream`] = sameMap(x.stream, y.stream);
    out[`${label}: batch`] = sameMap(x.batch, y.batch);
  }
}
await engine.close();
console.log(JSON.stringify(out));
