/**
 * Graph queries on a 1M-edge graph: 1-, 2- and 3-hop neighbourhoods and a
 * bounded shortest path, written in Cypher and run by Spoke (compiled by
 * `@spoke/graph`, planned and executed by the planner over a DuckDB source),
 * beside the same questions as hand-written recursive SQL run by DuckDB
 * directly on the same database file (the limit) in the same run. Answers
 * are checked equal before timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connector as duckdbConnector } from '@spoke/connector-duckdb';
import { compileCypher, type GraphDefinition, variableLengthFor } from '@spoke/graph';
import { collectBatches, createEngine, formatExplain } from '@spoke/planner';
import { type Bench, printTable, time } from './harness.js';

const PERSONS = Number(process.env.GRAPH_BENCH_PERSONS ?? 100_000);
const EDGES = Number(process.env.GRAPH_BENCH_EDGES ?? 1_000_000);
const RUNS = Number(process.env.GRAPH_BENCH_RUNS ?? 10);
const START = 42;

const GRAPH: GraphDefinition = {
  vertices: { Person: { table: 'g.person', key: 'id' } },
  edges: {
    KNOWS: { table: 'g.knows', source: 'src', target: 'dst', key: 'id', from: 'Person', to: 'Person' },
  },
};

/** Trails of 1..max hops from START, edges never repeated (Cypher's rule), as DuckDB SQL. */
function trails(max: number): string {
  return `WITH RECURSIVE t(node, depth, used) AS (
      SELECT dst, 1, [id] FROM knows WHERE src = ${START}
      UNION ALL
      SELECT k.dst, t.depth + 1, list_append(t.used, k.id) FROM t JOIN knows k ON k.src = t.node
      WHERE t.depth < ${max} AND NOT list_contains(t.used, k.id))`;
}

export const bench: Bench = {
  name: 'graph-hops',
  description: `Cypher over ${EDGES / 1e6}M KNOWS edges between ${PERSONS / 1e3}k persons (one DuckDB source): Spoke vs hand-written recursive SQL in DuckDB on the same file`,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'spoke-bench-graph-'));
    const file = join(dir, 'g.duckdb');
    try {
      const db = await DuckDBInstance.create(file);
      const c = await db.connect();
      await c.run(
        `CREATE TABLE person AS SELECT i AS id, 'person ' || i AS name FROM range(1, ${PERSONS + 1}) t(i)`,
      );
      await c.run(`CREATE TABLE knows AS SELECT i AS id,
          CAST(1 + hash(i) % ${PERSONS} AS BIGINT) AS src,
          CAST(1 + hash(i * 7 + 3) % ${PERSONS} AS BIGINT) AS dst
        FROM range(1, ${EDGES + 1}) t(i)`);
      const far = Number(
        (
          await c.runAndReadAll(
            `${trails(3)} SELECT max(node) FROM t WHERE depth = 3 AND node NOT IN (SELECT node FROM t WHERE depth < 3)`,
          )
        ).getRowsJS()[0]![0],
      );
      c.closeSync();
      db.closeSync();

      // The graph's source runs whole statements (wholeStatements: true); GRAPH_BENCH_WHOLE=0: it only scans.
      const wholeStatements = process.env.GRAPH_BENCH_WHOLE !== '0';
      const source = await duckdbConnector.create(
        { path: file, wholeStatements },
        { sourceName: 'g', baseDir: dir },
      );
      const engine = await createEngine({ sources: { g: source } });
      // As the gateway does at start-up: every table in one source that runs recursive CTEs → that shape.
      const graph: GraphDefinition = {
        ...GRAPH,
        variableLength: variableLengthFor(GRAPH, (s) =>
          s === 'g' ? source.sql?.dialect.capabilities : undefined,
        ),
      };
      const shape = process.env.GRAPH_BENCH_SHAPE as 'auto' | 'recursive' | undefined;
      const ref = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
      const rc = await ref.connect();
      const cases: { name: string; cypher: string; sql: string }[] = [
        {
          name: '1 hop',
          cypher: `MATCH (a:Person {id: ${START}})-[:KNOWS]->(b) RETURN count(DISTINCT b) AS n`,
          sql: `SELECT count(DISTINCT k.dst) FROM knows k JOIN person a ON a.id = k.src WHERE a.id = ${START}`,
        },
        {
          name: '2 hops (*1..2)',
          cypher: `MATCH (a:Person {id: ${START}})-[:KNOWS*1..2]->(b) RETURN count(DISTINCT b) AS n`,
          sql: `${trails(2)} SELECT count(DISTINCT node) FROM t`,
        },
        {
          name: '3 hops (*1..3)',
          cypher: `MATCH (a:Person {id: ${START}})-[:KNOWS*1..3]->(b) RETURN count(DISTINCT b) AS n`,
          sql: `${trails(3)} SELECT count(DISTINCT node) FROM t`,
        },
        {
          name: 'shortest path (*..4)',
          cypher: `MATCH p = shortestPath((a:Person {id: ${START}})-[:KNOWS*..4]->(b:Person {id: ${far}})) RETURN length(p) AS d`,
          sql: `WITH RECURSIVE w(node, depth, seen) AS (
              SELECT dst, 1, [src, dst] FROM knows WHERE src = ${START} AND dst <> src
              UNION ALL
              SELECT k.dst, w.depth + 1, list_append(w.seen, k.dst) FROM w JOIN knows k ON k.src = w.node
              WHERE w.depth < 4 AND NOT list_contains(w.seen, k.dst))
            SELECT min(depth) FROM w WHERE node = ${far}`,
        },
      ];
      const rows: string[][] = [['query', 'answer', 'Spoke (s)', 'DuckDB SQL (s)', 'ratio']];
      for (const q of cases) {
        const compiled = compileCypher(q.cypher, graph, shape ? { variableLength: shape } : {});
        const spoke = async () => {
          const batches = await collectBatches(await engine.query(compiled.sql));
          return String(batches[0]!.getChildAt(0)!.get(0));
        };
        const duck = async () => String((await rc.runAndReadAll(q.sql)).getRowsJS()[0]![0]);
        if (process.env.GRAPH_BENCH_EXPLAIN) {
          // The compiled SQL and where its time goes, for looking into a ratio.
          console.log(`-- ${q.name}\n${compiled.sql}`);
          const plan = await engine.explain(compiled.sql, { analyze: true });
          console.log(formatExplain(plan).join('\n'));
        }
        const [a, b] = [await spoke(), await duck()];
        if (a !== b) throw new Error(`${q.name}: Spoke answered ${a}, DuckDB ${b}`);
        // Interleaved (Spoke, DuckDB, Spoke, …) so that both see the same load on a shared machine.
        let tSpoke = Number.POSITIVE_INFINITY;
        let tDuck = Number.POSITIVE_INFINITY;
        for (let r = 0; r < RUNS; r++) {
          tSpoke = Math.min(tSpoke, await time(spoke));
          tDuck = Math.min(tDuck, await time(duck));
        }
        rows.push([q.name, a, tSpoke.toFixed(3), tDuck.toFixed(3), `${(tSpoke / tDuck).toFixed(1)}×`]);
      }
      printTable(rows);
      console.log(
        `whole statements: ${wholeStatements}; variable-length shape: ${shape ?? graph.variableLength}; best of ${RUNS}, interleaved; load average ${loadavg()
          .map((l) => l.toFixed(2))
          .join(' ')}`,
      );
      rc.closeSync();
      ref.closeSync();
      await engine.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
