/**
 * The Lance connector suite, run once against a local directory and once
 * against s3rver: every answer is compared with DuckDB over the same rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, Ex, type Expr, type ScanRequest, SpokeError, Types } from '@spoke/core';
import {
  type LanceConnector,
  type LanceScanRequest,
  type LanceTable,
  textMatchDuckDB,
} from '../../src/index.js';
import {
  collect,
  countRows,
  DIM,
  type DocRow,
  DuckReference,
  docsBatch,
  docsSchema,
  makeDocs,
  random,
} from './data.js';

const { col, lit, fn, cmp } = Ex;
const ctx = { queryId: 'test', roles: [] };

/** A scan request with defaults. */
export function req(r: Partial<LanceScanRequest>): LanceScanRequest {
  return {
    projection: [],
    filters: [],
    signal: new AbortController().signal,
    context: ctx,
    ...r,
  } as LanceScanRequest;
}

const METRICS = [
  ['l2_distance', 'array_distance'],
  ['cosine_distance', 'array_cosine_distance'],
  ['negative_inner_product', 'array_negative_inner_product'],
] as const;

const vecLit = (v: readonly number[]) => lit(v, Types.list(Types.float32));
const duckVec = (v: readonly number[]) => `[${v.map((x) => x.toString()).join(', ')}]::FLOAT[${DIM}]`;

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
}

/** Runs the suite against connectors made by `open`. */
export function lanceSuite(
  name: string,
  open: (options?: Record<string, unknown>) => Promise<{ connector: LanceConnector; close(): Promise<void> }>,
): void {
  describe(`lance connector (${name})`, { timeout: 120_000 }, () => {
    let connector: LanceConnector;
    let closeSource: () => Promise<void>;
    let duck: DuckReference;
    let docs: LanceTable;
    let rows: DocRow[];

    before(async () => {
      ({ connector, close: closeSource } = await open());
      duck = await DuckReference.create();
      rows = makeDocs(600);
      docs = await connector.createTableFrom('docs', docsSchema(), [docsBatch(rows)]);
      await duck.load('docs', rows);
    });

    after(async () => {
      await connector?.close();
      await closeSource?.();
      duck?.close();
    });

    test('catalog: tables, Arrow schema with the fixed-size-list vector, statistics', async () => {
      assert.deepEqual(await connector.catalog.listSchemas(), ['default']);
      assert.ok((await connector.catalog.listTables('default')).includes('docs'));
      const table = await connector.catalog.getTable('default', 'docs');
      assert.ok(table);
      const schema = await table.schema();
      assert.deepEqual(
        schema.fields.map((f) => `${f.name}:${f.type}`),
        [
          'id:Int32',
          'category:Utf8',
          'price:Float64',
          'text:Utf8',
          `embedding:FixedSizeList[${DIM}]<Float32>`,
        ],
      );
      const stats = await docs.statistics();
      assert.deepEqual(stats.rowCount, { value: 600, exact: true });
      assert.equal(stats.fragmentCount, 1);
      assert.equal(stats.version, 1);
      assert.equal(await connector.catalog.getTable('default', 'nope'), undefined);
      // A local dataset names its snapshot (the read cache's token); on an object store it would cost a request per query.
      assert.equal(typeof (await docs.snapshot()), name.startsWith('s3') ? 'undefined' : 'string');
    });

    test('filters are exact and equal DuckDB; projection order; limit; count(*)', async () => {
      const cases: [Expr, string][] = [
        [cmp('=', col('category'), lit("it's", Types.utf8)), `category = 'it''s'`],
        [cmp('>', col('price'), lit(50, Types.float64)), 'price > 50'],
        [
          Ex.and(
            cmp('>=', col('id'), lit(10, Types.int32)),
            Ex.not(Ex.in(col('category'), [lit('a', Types.utf8), lit('b', Types.utf8)])),
          ),
          `id >= 10 AND NOT category IN ('a','b')`,
        ],
        [
          Ex.or(Ex.isNull(col('price')), Ex.between(col('id'), lit(5, Types.int64), lit(9, Types.int64))),
          'price IS NULL OR id BETWEEN 5 AND 9',
        ],
        [Ex.like(col('text'), lit('%learning%', Types.utf8)), `"text" LIKE '%learning%'`],
        [Ex.like(col('text'), lit('MACHINE%', Types.utf8), true), `"text" ILIKE 'MACHINE%'`],
        [cmp('>', fn('length', col('text')), lit(40, Types.int32)), 'length("text") > 40'],
        [fn('starts_with', col('text'), lit('deep', Types.utf8)), `starts_with("text", 'deep')`],
        [
          cmp('=', fn('coalesce', col('price'), lit(-1, Types.float64)), lit(-1, Types.float64)),
          'coalesce(price, -1) = -1',
        ],
        [Ex.isNull(fn('nullif', col('category'), lit('a', Types.utf8))), `nullif(category, 'a') IS NULL`],
        [cmp('<>', col('category'), lit(null, Types.utf8)), 'category <> NULL'],
      ];
      const support = await docs.supportsFilters(cases.map(([f]) => f));
      assert.deepEqual(
        support,
        cases.map(() => 'exact'),
      );
      // upper()/lower() stay in DuckDB: DataFusion maps case in full Unicode (upper('Straße') = 'STRASSE').
      const caseMapped = [
        cmp('=', fn('lower', col('category')), lit('a', Types.utf8)),
        cmp('=', fn('upper', col('category')), lit('A', Types.utf8)),
      ];
      assert.deepEqual(await docs.supportsFilters(caseMapped), ['unsupported', 'unsupported']);
      for (const [filter, sql] of cases) {
        const got = (await collect(docs.scan(req({ projection: ['price', 'id'], filters: [filter] }))))
          .map((r) => r.id)
          .sort((a, b) => Number(a) - Number(b));
        const want = (await duck.rows(`SELECT id FROM docs WHERE ${sql} ORDER BY id`)).map((r) => r.id);
        assert.deepEqual(got, want, sql);
        assert.equal(
          await countRows(docs.scan(req({ projection: [], filters: [filter] }))),
          want.length,
          `count ${sql}`,
        );
      }
      const first = await collect(docs.scan(req({ projection: ['text', 'id'], limit: 7 })));
      assert.equal(first.length, 7);
      assert.deepEqual(Object.keys(first[0]!), ['text', 'id']);
      assert.equal(await countRows(docs.scan(req({ projection: [], limit: 5 }))), 5);
      // What Lance would evaluate differently stays with the planner.
      assert.deepEqual(
        await docs.supportsFilters([
          cmp('=', Ex.arith('+', col('id'), lit(1, Types.int32)), lit(3, Types.int32)),
          cmp('=', fn('substring', col('text'), lit(1, Types.int32)), lit('x', Types.utf8)),
          cmp('=', col('embedding'), lit(null, Types.null)),
          cmp(
            '<',
            fn('l2_distance', col('embedding'), vecLit(new Array(DIM).fill(0))),
            lit(1, Types.float64),
          ),
        ]),
        ['unsupported', 'unsupported', 'unsupported', 'unsupported'],
      );
    });

    test('column top-N in Lance, nulls placed as asked', async () => {
      for (const [direction, nulls] of [
        ['asc', 'last'],
        ['desc', 'first'],
        ['asc', 'first'],
      ] as const) {
        const got = await collect(
          docs.scan(
            req({
              projection: ['id', 'price'],
              orderBy: [
                { expr: col('price'), direction, nulls },
                { expr: col('id'), direction: 'asc', nulls: 'last' },
              ],
              limit: 12,
            }),
          ),
        );
        const want = await duck.rows(
          `SELECT id, price FROM docs ORDER BY price ${direction} NULLS ${nulls}, id LIMIT 12`,
        );
        assert.deepEqual(got, want, `${direction} nulls ${nulls}`);
      }
    });

    test('vector top-k (exact, no index) equals brute force in DuckDB for <->, <=>, <#>, with a pre-filter', async () => {
      const rnd = random(7);
      for (const [fnName, duckFn] of METRICS) {
        for (let q = 0; q < 3; q++) {
          const vector = Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1));
          const filters = q === 2 ? [cmp('=', col('category'), lit('b', Types.utf8))] : [];
          const got = await collect(
            docs.scan(
              req({
                projection: ['id', '_distance'],
                filters,
                orderBy: [
                  { expr: fn(fnName, col('embedding'), vecLit(vector)), direction: 'asc', nulls: 'last' },
                ],
                limit: 10,
              }),
            ),
          );
          const want = await duck.rows(
            `SELECT id, ${duckFn}(embedding, ${duckVec(vector)})::DOUBLE AS d FROM docs ${q === 2 ? `WHERE category = 'b'` : ''} ORDER BY d NULLS LAST, id LIMIT 10`,
          );
          assert.deepEqual(
            got.map((r) => r.id),
            want.map((r) => r.id),
            `${fnName} #${q}`,
          );
          for (const [i, r] of got.entries())
            assert.ok(
              near(r._distance as number, want[i]!.d as number),
              `${fnName} distance ${r._distance} vs ${want[i]!.d}`,
            );
        }
      }
    });

    test('vector top-k: NULL vectors sort last (or first), _distance NULL; without a limit every row gets its distance', async () => {
      const vector = new Array(DIM).fill(0.25);
      const filters = [cmp('<', col('id'), lit(8, Types.int32))]; // id 5 has a NULL vector
      const order = (nulls: 'first' | 'last') => [
        { expr: fn('l2_distance', col('embedding'), vecLit(vector)), direction: 'asc' as const, nulls },
      ];
      const last = await collect(
        docs.scan(req({ projection: ['id', '_distance'], filters, orderBy: order('last'), limit: 10 })),
      );
      assert.equal(last.length, 8);
      assert.deepEqual(last.at(-1), { id: 5, _distance: null });
      const first = await collect(
        docs.scan(req({ projection: ['id', '_distance'], filters, orderBy: order('first'), limit: 3 })),
      );
      assert.deepEqual(first[0], { id: 5, _distance: null });
      const all = await collect(docs.scan(req({ projection: ['_distance', 'id'], orderBy: order('last') })));
      const want = await duck.rows(
        `SELECT id, array_distance(embedding, ${duckVec(vector)})::DOUBLE AS d FROM docs ORDER BY d NULLS LAST, id`,
      );
      assert.equal(all.length, 600);
      assert.deepEqual(all.map((r) => r.id).slice(0, 50), want.map((r) => r.id).slice(0, 50));
      // Without ORDER BY … LIMIT the vectors are returned as they are, for DuckDB to evaluate the operator.
      const plain = await collect(
        docs.scan(
          req({ projection: ['id', 'embedding'], filters: [cmp('=', col('id'), lit(3, Types.int32))] }),
        ),
      );
      assert.deepEqual(plain[0]!.embedding, rows[3]!.embedding);
      await assert.rejects(
        collect(
          docs.scan(
            req({
              projection: ['id'],
              orderBy: [
                {
                  expr: fn('l2_distance', col('embedding'), vecLit([1, 2])),
                  direction: 'asc',
                  nulls: 'last',
                },
              ],
              limit: 1,
            }),
          ),
        ),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.INVALID_QUERY,
      );
    });

    test('full-text match without an index equals DuckDB; with an FTS index the same rows, ranked, with _score', async () => {
      const queries = ['machine learning', 'LEARNING', 'vector, search!', 'relearning', 'nothing-here', '  '];
      const check = async (label: string) => {
        for (const q of queries) {
          const filter = fn('text_match', col('text'), lit(q, Types.utf8));
          assert.deepEqual(await docs.supportsFilters([filter]), ['exact']);
          const got = (await collect(docs.scan(req({ projection: ['id'], filters: [filter] }))))
            .map((r) => r.id)
            .sort((a, b) => Number(a) - Number(b));
          const want = (
            await duck.rows(`SELECT id FROM docs WHERE ${textMatchDuckDB('"text"', q)} ORDER BY id`)
          ).map((r) => r.id);
          assert.deepEqual(got, want, `${label}: ${q}`);
        }
      };
      await check('no index');
      const noScore = await collect(
        docs.scan(
          req({
            projection: ['id', '_score'],
            filters: [fn('text_match', col('text'), lit('deep', Types.utf8))],
            limit: 3,
          }),
        ),
      );
      assert.ok(noScore.every((r) => r._score === null));
      const index = await docs.buildIndex({ column: 'text', type: 'fts' });
      assert.equal(index.name, 'text_idx');
      await check('fts index');
      const filter = fn('text_match', col('text'), lit('machine learning', Types.utf8));
      const ranked = await collect(
        docs.scan(
          req({
            projection: ['id', '_score'],
            filters: [filter],
            orderBy: [{ expr: col('_score'), direction: 'desc', nulls: 'last' }],
            limit: 5,
          }),
        ),
      );
      const all = await collect(docs.scan(req({ projection: ['id', '_score'], filters: [filter] })));
      assert.equal(ranked.length, 5);
      const scores = all.map((r) => r._score as number).sort((a, b) => b - a);
      assert.deepEqual(
        ranked.map((r) => r._score),
        scores.slice(0, 5),
      );
      // Rows appended after the index was built are still found.
      const extra = makeDocs(50, 600, 99);
      await docs.append([docsBatch(extra)]);
      rows.push(...extra);
      await duck.load('docs', rows);
      await check('fts index + unindexed rows');
    });

    test('hybrid search (vector + full text, RRF) returns fused, ranked rows', async () => {
      const vector = rows[10]!.embedding!;
      const hybrid = await collect(
        docs.scan(
          req({
            projection: ['id', '_relevance_score'],
            limit: 10,
            lance: {
              hybrid: {
                vector: { column: 'embedding', vector },
                text: { column: 'text', query: 'deep learning' },
              },
            },
          }),
        ),
      );
      assert.ok(hybrid.length > 0 && hybrid.length <= 10);
      const scores = hybrid.map((r) => r._relevance_score as number);
      assert.deepEqual(
        scores,
        [...scores].sort((a, b) => b - a),
      );
      assert.ok(
        hybrid.some((r) => r.id === 10),
        'the nearest vector is among the fused results',
      );
    });

    test('vector index (IVF_PQ and HNSW): recall against exact search, exact distances, pre-filter', async () => {
      const rnd = random(3);
      const queries = Array.from({ length: 10 }, () =>
        Array.from({ length: DIM }, () => Math.fround(rnd() * 2 - 1)),
      );
      for (const [type, options] of [
        ['ivf_pq', { num_partitions: '4', num_sub_vectors: '4' }],
        ['hnsw_sq', { num_partitions: 1 }],
      ] as const) {
        const info = await docs.buildIndex({ column: 'embedding', type, options, name: 'vec_idx' });
        assert.equal(info.metric, 'l2');
        let hits = 0;
        for (const vector of queries) {
          const order = [
            {
              expr: fn('l2_distance', col('embedding'), vecLit(vector)),
              direction: 'asc' as const,
              nulls: 'last' as const,
            },
          ];
          const ann = await collect(
            docs.scan(req({ projection: ['id', '_distance'], orderBy: order, limit: 10 })),
          );
          const exact = await collect(
            docs.scan(
              req({ projection: ['id', '_distance'], orderBy: order, limit: 10, lance: { exact: true } }),
            ),
          );
          const truth = new Set(exact.map((r) => r.id));
          hits += ann.filter((r) => truth.has(r.id)).length;
          const want = await duck.rows(
            `SELECT id, array_distance(embedding, ${duckVec(vector)})::DOUBLE AS d FROM docs WHERE id IN (${ann.map((r) => r.id).join(',')})`,
          );
          const byId = new Map(want.map((r) => [r.id, r.d as number]));
          for (const r of ann)
            assert.ok(near(r._distance as number, byId.get(r.id)!), `${type}: refined distances are exact`);
          const filtered = await collect(
            docs.scan(
              req({
                projection: ['id', 'category'],
                filters: [cmp('=', col('category'), lit('c', Types.utf8))],
                orderBy: order,
                limit: 5,
              }),
            ),
          );
          assert.equal(filtered.length, 5);
          assert.ok(filtered.every((r) => r.category === 'c'));
        }
        const recall = hits / (queries.length * 10);
        assert.ok(recall >= 0.9, `${type} recall@10 ${recall}`);
      }
      assert.deepEqual((await docs.listIndexes()).map((i) => i.name).sort(), ['text_idx', 'vec_idx']);
      await docs.removeIndex('vec_idx');
      assert.deepEqual(
        (await docs.listIndexes()).map((i) => i.name),
        ['text_idx'],
      );
    });

    test('writes: CREATE TABLE AS (list vectors coerced), INSERT, DELETE — one version each; time travel', async () => {
      const base = makeDocs(40, 0, 5);
      // Vectors as DuckDB hands them over: FLOAT[] lists of float64.
      const { arrow } = await import('@spoke/core');
      const listSchema = new arrow.Schema([
        new arrow.Field('id', new arrow.Int32(), false),
        new arrow.Field(
          'embedding',
          new arrow.List(new arrow.Field('item', new arrow.Float64(), true)),
          true,
        ),
      ]);
      const listBatch = new arrow.RecordBatch(
        listSchema,
        arrow.makeData({
          type: new arrow.Struct(listSchema.fields),
          length: base.length,
          nullCount: 0,
          children: [
            arrow.vectorFromArray(
              base.map((r) => r.id),
              new arrow.Int32(),
            ).data[0]!,
            arrow.vectorFromArray(
              base.map((r) => r.embedding),
              new arrow.List(new arrow.Field('item', new arrow.Float64(), true)),
            ).data[0]!,
          ],
        }),
      );
      assert.equal(listBatch.schema.fields.length, listSchema.fields.length);
      const target = new arrow.Schema([docsSchema().fields[0]!, docsSchema().fields[4]!]);
      const t = await connector.createTableFrom('vecs', target, [listBatch]);
      assert.equal((await t.statistics()).version, 1);
      const back = await collect(
        t.scan(req({ projection: ['id', 'embedding'], filters: [cmp('=', col('id'), lit(1, Types.int32))] })),
      );
      assert.deepEqual(back[0]!.embedding, base[1]!.embedding);
      await assert.rejects(
        connector.createTableFrom('vecs', target, [listBatch]),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.INVALID_QUERY,
      );

      const appended = await t.append([listBatch]);
      assert.deepEqual(appended, { version: 2, rows: 40 });
      const deleted = await t.delete(
        Ex.and(cmp('<', col('id'), lit(10, Types.int32)), Ex.isNull(col('embedding'), true)),
      );
      assert.equal(deleted.version, 3);
      assert.equal(deleted.rows, 2 * base.filter((r) => r.id < 10 && r.embedding).length);
      await assert.rejects(
        t.delete(cmp('=', Ex.arith('+', col('id'), lit(1, Types.int32)), lit(2, Types.int32))),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.UNSUPPORTED,
      );

      assert.deepEqual(
        (await connector.listVersions('vecs')).map((v) => v.version),
        [1, 2, 3],
      );
      const v1 = await connector.catalog.getTable('default', 'vecs@v1');
      const v2 = await connector.catalog.getTable('default', 'vecs@v2');
      assert.ok(v1 && v2);
      assert.equal(await countRows(v1.scan(req({ projection: [] }))), 40);
      assert.equal(await countRows(v2.scan(req({ projection: ['id'] }))), 80);
      assert.equal(await countRows(t.scan(req({ projection: ['id'] }))), 80 - deleted.rows);
      await assert.rejects(
        (v1 as LanceTable).append([listBatch]),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.UNSUPPORTED,
      );
      assert.equal(await connector.catalog.getTable('default', 'vecs@v99'), undefined);
    });

    test("freshness: each table's latest version time, exact; a new table is newer than the others", async () => {
      const start = Date.now();
      await connector.createTableFrom('fresh', docsSchema(), [docsBatch(makeDocs(3, 0, 1))]);
      const end = Date.now();
      const f = await connector.freshness();
      assert.equal(f.method, 'lance version');
      const fresh = f.tables?.find((t) => t.table === 'fresh')?.lastModified;
      // Written between start and end (a second's slack for the store's clock).
      assert.ok(fresh?.exact && fresh.value.getTime() >= start - 1000 && fresh.value.getTime() <= end + 1000);
      const docsAt = f.tables?.find((t) => t.table === 'docs')?.lastModified?.value.getTime();
      assert.ok(docsAt !== undefined && docsAt <= fresh.value.getTime());
      assert.equal(
        f.lastModified?.value.getTime(),
        Math.max(...f.tables!.map((t) => t.lastModified!.value.getTime())),
      );
    });

    test('VACUUM compacts fragments and removes old versions; answers unchanged', async () => {
      const t = await connector.createTableFrom('frag', docsSchema(), [docsBatch(makeDocs(20, 0, 1))]);
      for (let i = 1; i <= 4; i++) await t.append([docsBatch(makeDocs(20, i * 20, 1))]);
      await t.delete(cmp('=', col('category'), lit('a', Types.utf8)));
      const scanAll = async () =>
        collect(
          t.scan(
            req({
              projection: ['id', 'text', 'embedding'],
              orderBy: [{ expr: col('id'), direction: 'asc', nulls: 'last' }],
              limit: 1000,
            }),
          ),
        );
      const before = await scanAll();
      const vector = new Array(DIM).fill(0.1);
      const topk = () =>
        collect(
          t.scan(
            req({
              projection: ['id', '_distance'],
              orderBy: [
                {
                  expr: fn('cosine_distance', col('embedding'), vecLit(vector)),
                  direction: 'asc',
                  nulls: 'last',
                },
              ],
              limit: 5,
            }),
          ),
        );
      const topBefore = await topk();
      assert.equal((await t.statistics()).fragmentCount, 5);
      const report = await t.compact({ olderThanSeconds: 0 });
      assert.equal(report.fragmentsBefore, 5);
      assert.equal(report.fragmentsAfter, 1);
      assert.ok(report.fragmentsRemoved >= 5 && report.fragmentsAdded === 1, JSON.stringify(report));
      assert.ok(report.oldVersionsRemoved >= 5, JSON.stringify(report));
      assert.deepEqual(await scanAll(), before);
      assert.deepEqual(await topk(), topBefore);
    });

    test('background compaction policy compacts past the fragment threshold and reports it', async () => {
      // Four fragments written before the policy's connector opens, so its first round sees them all.
      const written = await connector.createTableFrom('auto', docsSchema(), [docsBatch(makeDocs(10, 0, 2))]);
      for (let i = 1; i <= 3; i++) await written.append([docsBatch(makeDocs(10, i * 10, 2))]);
      const { connector: auto, close } = await open({
        autoCompactFragments: 2,
        autoCompactIntervalSeconds: 0.2,
        versionRetentionSeconds: 0,
      });
      try {
        const reports: unknown[] = [];
        const t = (await auto.openTable('auto'))!;
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !(auto.compaction?.reports ?? []).some((r) => r.table === 'auto'))
          await new Promise((r) => setTimeout(r, 100));
        reports.push(...(auto.compaction?.reports ?? []).filter((r) => r.table === 'auto'));
        assert.ok(
          reports.length >= 1,
          `the policy ran; errors: ${auto.compaction?.errors.map((e) => String(e.error)).join('; ')}`,
        );
        assert.equal((await t.statistics()).fragmentCount, 1);
        assert.equal(await countRows(t.scan(req({ projection: [] }))), 40);
      } finally {
        await auto.close();
        await close();
      }
    });

    test('cancellation and unknown columns', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        collect(docs.scan({ ...req({ projection: ['id'] }), signal: controller.signal } as ScanRequest)),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED,
      );
      await assert.rejects(
        collect(docs.scan(req({ projection: ['nope'] }))),
        (e: unknown) => SpokeError.isInstance(e) && e.code === ErrorCode.COLUMN_NOT_FOUND,
      );
    });
  });
}
