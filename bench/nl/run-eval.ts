/**
 * The natural-language evaluation: ~50 questions (questions.ts) over the
 * demo schema and TPC-H, each answered by the configured model through
 * `@spoke/nl`'s ask loop (grounding, planner validation, repairs), scored by
 * execution accuracy against hand-written gold SQL. See README.md.
 *
 *   SPOKE_NL_ENDPOINT=http://127.0.0.1:11434/v1 SPOKE_NL_MODEL=qwen2.5-coder:7b \
 *     npm run nl-eval -w @spoke/bench
 *   npm run nl-eval -w @spoke/bench -- --replay     # the harness itself: a stand-in answers the gold SQL
 *
 * Options: --replay, --only demo|tpch, --scale 0.01 (TPC-H), --max-repairs 2, --json FILE (per-question results).
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { SpokeError } from '@spoke/core';
import { createGatewayEngine, demoConfig, ensureDemoData, type GatewayConfig } from '@spoke/gateway';
import { type AskEngine, bindEmbedCalls, createNl, parseNlConfig } from '@spoke/nl';
import { collectBatches, type QueryEngine } from '@spoke/planner';
import {
  byQuestion,
  type OpenAiStandIn,
  startOpenAiStandIn,
} from '../../test/harness/openai-stand-in/index.js';
import { generateTpch } from '../../test/harness/tpch/index.js';
import { type EvalQuestion, QUESTIONS } from './questions.js';

const { values } = parseArgs({
  options: {
    replay: { type: 'boolean' },
    only: { type: 'string' },
    scale: { type: 'string', default: '0.01' },
    'max-repairs': { type: 'string', default: '2' },
    json: { type: 'string' },
  },
});

/** A value as both sides compare it: numbers to 9 significant digits (avg as double or decimal agree), the rest as text. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(9);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) {
    const n = Number(value);
    return Number.isInteger(n) ? String(n) : n.toPrecision(9);
  }
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'string'
    ? value.trimEnd()
    : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
}

async function rowsOf(engine: QueryEngine | AskEngine, sql: string): Promise<string[][]> {
  const rows: string[][] = [];
  for (const batch of await collectBatches(await engine.query(sql))) {
    for (let r = 0; r < batch.numRows; r++) {
      const row: string[] = [];
      for (let c = 0; c < batch.numCols; c++) row.push(canonical(batch.getChildAt(c)?.get(r)));
      rows.push(row);
    }
  }
  return rows;
}

/**
 * Execution accuracy: the same rows (as a multiset, or in order when the
 * question asks for one). Columns compare in order; when that fails, a row's
 * values are also compared as a set, so `SELECT total, name` answers a question
 * whose gold SQL says `SELECT name, total` (as Spider's evaluation allows).
 */
function sameAnswer(gold: string[][], got: string[][], ordered: boolean): boolean {
  if (gold.length !== got.length) return false;
  const keys = (rows: string[][], lenient: boolean) => {
    const out = rows.map((r) => JSON.stringify(lenient ? [...r].sort() : r));
    return ordered ? out : out.sort();
  };
  const equal = (a: string[], b: string[]) => a.every((k, i) => k === b[i]);
  if (gold[0]?.length === got[0]?.length && equal(keys(gold, false), keys(got, false))) return true;
  return equal(keys(gold, true), keys(got, true));
}

const endpoint = process.env.SPOKE_NL_ENDPOINT;
if (!values.replay && !endpoint) {
  console.error(
    'set SPOKE_NL_ENDPOINT (and SPOKE_NL_MODEL, SPOKE_NL_API_KEY; optionally SPOKE_NL_EMBEDDINGS_ENDPOINT and SPOKE_NL_EMBEDDINGS_MODEL), or pass --replay',
  );
  process.exit(2);
}
const questions = QUESTIONS.filter((q) => !values.only || q.schema === values.only);
const root = await mkdtemp(join(tmpdir(), 'spoke-nl-eval-'));
let stand: OpenAiStandIn | undefined;
let engine: QueryEngine | undefined;
try {
  const demo = await ensureDemoData(join(root, 'demo'), () => {});
  const tpchFile = join(root, 'tpch.duckdb');
  const db = await DuckDBInstance.create(tpchFile);
  const conn = await db.connect();
  await generateTpch(conn, Number(values.scale));
  conn.closeSync();
  db.closeSync();
  const base = demoConfig(demo);
  const config: GatewayConfig = {
    ...base,
    sources: {
      ...base.sources,
      tpch: { connector: 'duckdb', options: { connector: 'duckdb', path: tpchFile } },
    },
  };
  engine = await createGatewayEngine(config);
  if (values.replay) {
    stand = await startOpenAiStandIn({
      chat: byQuestion(Object.fromEntries(questions.map((q) => [q.question, q.gold]))),
    });
  }
  const nlConfig = parseNlConfig({
    chat: {
      endpoint: stand?.url ?? endpoint,
      model: stand ? 'replay' : (process.env.SPOKE_NL_MODEL ?? ''),
      ...(process.env.SPOKE_NL_API_KEY ? { apiKey: process.env.SPOKE_NL_API_KEY } : {}),
      temperature: 0,
    },
    ...(process.env.SPOKE_NL_EMBEDDINGS_ENDPOINT && !stand
      ? {
          embeddings: {
            endpoint: process.env.SPOKE_NL_EMBEDDINGS_ENDPOINT,
            model: process.env.SPOKE_NL_EMBEDDINGS_MODEL ?? '',
            ...(process.env.SPOKE_NL_API_KEY ? { apiKey: process.env.SPOKE_NL_API_KEY } : {}),
          },
        }
      : {}),
    maxRepairs: values['max-repairs'],
  });
  const nl = createNl(nlConfig);
  const planner = engine;
  // As the gateway serves it: embed() bound before the planner sees a statement.
  const bound: AskEngine = {
    catalog: (signal, context) => planner.catalog(signal, context),
    async explain(sql, options) {
      const b = await bindEmbedCalls(sql, options?.params ?? [], nl.embeddings);
      return planner.explain(b.sql, { ...options, params: b.params });
    },
    async query(sql, options) {
      const b = await bindEmbedCalls(sql, options?.params ?? [], nl.embeddings);
      return planner.query(b.sql, { ...options, params: b.params });
    },
  };

  const results: {
    id: string;
    ok: boolean;
    attempts: number;
    seconds: number;
    sql?: string;
    error?: string;
  }[] = [];
  console.log(`model ${nl.chat.model} at ${nlConfig.chat.endpoint}; ${questions.length} questions\n`);
  console.log('| id | answer | attempts | seconds |');
  console.log('| --- | --- | ---: | ---: |');
  for (const q of questions as EvalQuestion[]) {
    const started = performance.now();
    let ok = false;
    let attempts = 0;
    let sql: string | undefined;
    let error: string | undefined;
    try {
      const answer = await nl.asker.ask(bound, q.question, { dryRun: true });
      attempts = answer.attempts;
      sql = answer.sql;
      ok = sameAnswer(await rowsOf(planner, q.gold), await rowsOf(bound, answer.sql), q.ordered === true);
      if (!ok) error = 'different rows';
    } catch (e) {
      error = SpokeError.isInstance(e) ? `${e.code}: ${e.message}` : String(e);
      attempts = Array.isArray((e as SpokeError).details?.attempts)
        ? ((e as SpokeError).details!.attempts as unknown[]).length
        : attempts;
    }
    const seconds = (performance.now() - started) / 1000;
    results.push({ id: q.id, ok, attempts, seconds, ...(sql ? { sql } : {}), ...(error ? { error } : {}) });
    console.log(
      `| ${q.id} | ${ok ? 'equal' : `**${(error ?? '').slice(0, 80).replaceAll('|', '/')}**`} | ${attempts} | ${seconds.toFixed(2)} |`,
    );
  }
  const correct = results.filter((r) => r.ok).length;
  const repaired = results.filter((r) => r.ok && r.attempts > 1).length;
  const bySchema = (schema: string) => {
    const of = results.filter((r) => r.id.startsWith(schema));
    return of.length === 0 ? 'n/a' : `${of.filter((r) => r.ok).length}/${of.length}`;
  };
  console.log(
    `\nexecution accuracy: ${correct}/${results.length} (${((100 * correct) / results.length).toFixed(1)}%); demo ${bySchema('demo')}, tpch ${bySchema('tpch')}; ${repaired} correct after a repair; mean ${(results.reduce((s, r) => s + r.seconds, 0) / results.length).toFixed(2)} s per question`,
  );
  if (values.json) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
  if (values.replay && correct !== results.length) process.exitCode = 1;
} finally {
  await engine?.close();
  await stand?.close();
  await rm(root, { recursive: true, force: true });
}
