/**
 * Gateway latency of a point query, against the limit measured in the same run.
 *
 *   node --import tsx bench/point-query.ts [queries=2000] [rounds=3]
 *
 * One query, `SELECT name FROM customers WHERE id = $1` (a primary-key
 * lookup, pushed down whole to PostgreSQL), with a different id each time,
 * timed three ways:
 *
 * - straight to PostgreSQL: node `pg`, extended protocol, a named prepared
 *   statement (the limit);
 * - through `engine.query` in-process (`pg.customers`), draining the batches;
 * - through the Postgres wire of a gateway started in-process as `spoke serve`
 *   builds it, with the same `pg` client and a prepared statement.
 *
 * The three are timed in interleaved blocks (`rounds` of `queries` each) so
 * that on a shared machine they see the same load. Prints p50 / p99 of each
 * and the latency added over PostgreSQL (target: ≤ 2 ms at p50 over the wire).
 */
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PostgresConnector, parsePostgresOptions } from '@spoke/connector-postgres';
import { createGatewayEngine, parseConfig, startGateway } from '@spoke/gateway';
import { collectBatches, createEngine } from '@spoke/planner';
import { startPostgres } from '../test/harness/index.js';
import { printTable } from './harness.js';

const queries = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const TABLE_ROWS = 100_000;
const DIRECT_SQL = 'SELECT name FROM customers WHERE id = $1';
const SPOKE_SQL = 'SELECT name FROM pg.customers WHERE id = $1';

interface PgClient {
  connect(): Promise<void>;
  query(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: { name: string }[] }>;
  end(): Promise<void>;
}
const require = createRequire(import.meta.url);
const { Client } = require('pg') as { Client: new (config: object) => PgClient };

/** A deterministic pseudo-random id sequence (the same in every mode). */
const idAt = (i: number) => ((i * 7919) % TABLE_ROWS) + 1;
const expectName = (id: number) => `customer ${id}`;

const server = await startPostgres();
const closers: (() => Promise<unknown>)[] = [() => server.close()];
try {
  server.psql(`
    CREATE TABLE customers (id int4 PRIMARY KEY, name text NOT NULL, city text, balance numeric(12,2));
    INSERT INTO customers SELECT g, 'customer ' || g, 'city ' || (g % 100), g / 100.0 FROM generate_series(1, ${TABLE_ROWS}) g;
    VACUUM ANALYZE customers;`);

  // Straight to PostgreSQL.
  const direct = new Client({ connectionString: server.url });
  await direct.connect();
  closers.unshift(() => direct.end());

  // engine.query in-process.
  const connector = new PostgresConnector(parsePostgresOptions({ url: server.url }, { sourceName: 'pg' }), {
    sourceName: 'pg',
  });
  const engine = await createEngine({ sources: { pg: connector } });
  closers.unshift(() => engine.close());

  // The gateway's Postgres wire, built as `spoke serve` builds it.
  const config = parseConfig(
    `server:\n  postgres: { host: 127.0.0.1, port: 0 }\nsources:\n  pg: { connector: postgres, url: ${JSON.stringify(server.url)} }\n`,
    tmpdir(),
    'point-query.yaml',
  );
  const gatewayEngine = await createGatewayEngine(config);
  const gateway = await startGateway(gatewayEngine, config.server, () => {});
  closers.unshift(() => gatewayEngine.close());
  closers.unshift(() => gateway.close());
  const wire = new Client({
    host: '127.0.0.1',
    port: gateway.postgres!.port,
    user: 'bench',
    database: 'spoke',
  });
  await wire.connect();
  closers.unshift(() => wire.end());

  const modes: Record<string, (id: number) => Promise<string | undefined>> = {
    postgres: async (id) =>
      (await direct.query({ name: 'point', text: DIRECT_SQL, values: [id] })).rows[0]?.name,
    engine: async (id) => {
      const result = await engine.query(SPOKE_SQL, { params: [id] });
      const batches = await collectBatches(result);
      return batches[0]?.getChild('name')?.get(0) as string | undefined;
    },
    gateway: async (id) => (await wire.query({ name: 'point', text: SPOKE_SQL, values: [id] })).rows[0]?.name,
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  // Warm-up: JIT, connection pools, catalogs, prepared statements.
  for (const [mode, run] of Object.entries(modes)) {
    for (let i = 0; i < 200; i++) {
      const got = await run(idAt(i));
      if (got !== expectName(idAt(i)))
        throw new Error(`${mode}: expected ${expectName(idAt(i))}, got ${got}`);
    }
  }
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? Object.keys(modes) : Object.keys(modes).reverse();
    for (const mode of order) {
      const run = modes[mode]!;
      for (let i = 0; i < queries; i++) {
        const id = idAt(r * queries + i);
        const start = performance.now();
        const got = await run(id);
        samples[mode]!.push(performance.now() - start);
        if (got !== expectName(id)) throw new Error(`${mode}: expected ${expectName(id)}, got ${got}`);
      }
    }
  }

  const pct = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  };
  const base = { p50: pct(samples.postgres!, 50), p99: pct(samples.postgres!, 99) };
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  const rows: string[][] = [['path', 'p50', 'p99', 'added p50', 'added p99']];
  for (const mode of Object.keys(modes)) {
    const p50 = pct(samples[mode]!, 50);
    const p99 = pct(samples[mode]!, 99);
    rows.push([
      mode === 'postgres'
        ? 'postgres (pg, prepared)'
        : mode === 'engine'
          ? 'engine.query (in-process)'
          : 'gateway (Postgres wire)',
      ms(p50),
      ms(p99),
      mode === 'postgres' ? '—' : ms(p50 - base.p50),
      mode === 'postgres' ? '—' : ms(p99 - base.p99),
    ]);
  }
  console.log(
    `point query, ${rounds} × ${queries} per path, table of ${TABLE_ROWS} rows; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  printTable(rows);
  const added = pct(samples.gateway!, 50) - base.p50;
  console.log(
    `gateway added latency at p50: ${ms(added)} (target ≤ 2 ms: ${added <= 2 ? 'met' : 'not met'})`,
  );
} finally {
  for (const close of closers) await close().catch((e: unknown) => console.error(e));
}
