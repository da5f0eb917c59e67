/**
 * Runs a federated plan: each source answers its scan (or pushed-down SQL),
 * the answers are loaded into DuckDB relations on a connection of the
 * query's own, and DuckDB runs the residual, streamed out as Arrow.
 * Cancellation interrupts DuckDB and aborts every source through the
 * request's signal; the connection (and its temp relations) is closed when
 * the result is drained, abandoned or fails.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  batchesOf,
  ErrorCode,
  Ex,
  type Expr,
  fromArrowType,
  mapStreamErrors,
  type QueryContext,
  type RecordBatch,
  resumedStream,
  type ScalarType,
  type ScalarValue,
  type ScanRequest,
  type Schema,
  SpokeError,
  throwIfAborted,
} from '@spoke/core';
import { loadBatches, resultArrowSchema, streamResultAsArrow, toDuckDBParams } from '@spoke/duckdb-arrow';
import type { TableBinding } from '../binder/scope.js';
import type { QueryResult } from '../engine-api.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import type { SubqueryKeyList } from '../pushdown/plan-subqueries.js';
import type { SubqueryKeyEdge } from '../pushdown/subquery-key-edges.js';
import type { ColumnRange } from '../statistics/estimate-reads.js';
import { renderReduction } from '../strategies/in-source-semi-join.js';
import { keyLimitOf, type PlannedRead } from '../strategies/plan-reads.js';
import { compareValues, type RowValue } from './arrow-take.js';
import { closingStream } from './closing-stream.js';
import { translateDuckDBError } from './duckdb-errors.js';
import { ExecutionTrace, type ReadActuals } from './execution-trace.js';
import {
  IN_MEMORY_MAX_ROWS,
  type InMemoryResidual,
  inMemoryColumnValues,
  runInMemoryResidual,
} from './in-memory-residual.js';
import { EVIDENCE_FACTOR, KeyOverflow } from './key-overflow.js';
import { type PinnedRead, type ReadCache, readCacheKey } from './read-cache.js';
import { ordersByArrival, type ResidualQuery } from './residual.js';
import { openResidualConnection } from './residual-connections.js';

/** A sub-query sent whole to one SQL source, loaded as `relation`. */
export interface SourceQueryPlan {
  readonly source: string;
  readonly relation: string;
  /** Runs it, with `keyLists` added inside its SQL when it waited for other reads' keys. */
  readonly run: (signal: AbortSignal, keyLists?: readonly SubqueryKeyList[]) => AsyncIterable<RecordBatch>;
  /** For `x IN (sub-query)`: the scan column its answer's keys may restrict (as a join edge does). */
  readonly keysFor?: { readonly binding: TableBinding; readonly column: string };
  /** Edges from table reads whose distinct keys it waits for, to filter it inside its SQL. */
  readonly waitsFor?: readonly SubqueryKeyEdge[];
}

/** Everything the executor needs for one SELECT. */
export interface FederatedPlan {
  /** Every table read, in start order, with its strategy (see `strategies/plan-reads.ts`). */
  readonly reads: readonly PlannedRead[];
  readonly sourceQueries: readonly SourceQueryPlan[];
  readonly residual: ResidualQuery;
  /** Where each finished read's figures go (EXPLAIN ANALYZE, the learned link profiles). */
  readonly trace?: ExecutionTrace;
  /** One read after another (the previous planner, for comparison). */
  readonly sequential?: boolean;
  /** Where reads of snapshot-named tables are kept and found again (`read-cache.ts`); absent: every read goes to its source. */
  readonly readCache?: ReadCache;
}

/**
 * Loads every source answer and starts the residual; rows stream from the
 * returned result. Reads run concurrently: each starts as soon as the reads
 * whose keys it takes are loaded (most wait for none), its rows are fetched
 * while others load, and DuckDB loads one relation at a time (the
 * connection's temp tables are its own).
 */
export async function executeFederated(
  /** The DuckDB to run in; an `owned` one (per-query memory limit) is closed with the result. */
  target: DuckDBInstance | { readonly instance: DuckDBInstance; readonly owned: true },
  plan: FederatedPlan,
  signal: AbortSignal,
  context: QueryContext,
): Promise<QueryResult> {
  const instance = 'owned' in target ? target.instance : target;
  const closeInstance = () => {
    if ('owned' in target) instance.closeSync();
  };
  if (signal.aborted) {
    closeInstance();
    throw SpokeError.cancelled(signal);
  }
  // Snapshots the in-memory attempt asked the tables for: the reads below start from the same.
  const snapshots = new Map<TableBinding, string | undefined>();
  if (plan.residual.inMemory && !plan.sequential) {
    const answer = await executeInMemory(plan, plan.residual.inMemory, signal, context, snapshots).catch(
      (error: unknown) => {
        closeInstance();
        throw error;
      },
    );
    if (answer) {
      closeInstance();
      return answer;
    }
  }
  const connection = await openResidualConnection(instance).catch((error: unknown) => {
    closeInstance();
    throw error;
  });
  const interrupt = () => connection.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  // The first failing read stops the others (their sources are aborted) before the connection closes.
  const reads = new AbortController();
  const stopReads = () => reads.abort(signal.reason);
  signal.addEventListener('abort', stopReads, { once: true });
  let handedOver = false;
  // Read-cache tables this query reads: unpinned once the connection (and its views of them) is gone.
  const pins: PinnedRead[] = [];
  const unpin = () => {
    for (const pin of pins) pin.release();
  };
  try {
    const trace = plan.trace ?? new ExecutionTrace();
    const exclusive = serialized();
    const loaded = new Map<TableBinding, Promise<ScanPlan>>();
    // The arriving rows of each read another waits for, watched by those reads (`key-overflow.ts`).
    const arriving = new Map<TableBinding, KeyOverflow>(
      plan.sequential
        ? []
        : [...new Set(plan.reads.flatMap((r) => r.waitsFor.map((e) => e.from)))].map((b) => [
            b,
            new KeyOverflow(),
          ]),
    );
    const plannedRead = new Map(plan.reads.map((r) => [r.scan.binding, r]));
    const queryKeys = new Map<TableBinding, Promise<KeyList | undefined>[]>();
    const tasks: Promise<unknown>[] = [];
    // A sub-query that waits for table reads' keys starts once those reads are planned below.
    const keyed = plan.sourceQueries.filter((q) => q.waitsFor?.length);
    for (const q of plan.sourceQueries) {
      if (q.waitsFor?.length) continue;
      const task = loadSourceQuery(connection, q, exclusive, reads.signal, trace);
      tasks.push(task);
      if (q.keysFor) {
        const keys = task.then((relation) =>
          exclusive(() =>
            keyList(
              loadedKeys(connection, relation.relation, relation.column),
              q.keysFor!.binding,
              q.keysFor!.column,
              {
                rangeOf: plannedRead.get(q.keysFor!.binding)?.estimate.ranges ?? {},
              },
            ),
          ),
        );
        tasks.push(keys);
        queryKeys.set(q.keysFor.binding, [...(queryKeys.get(q.keysFor.binding) ?? []), keys]);
      }
    }
    let previous: Promise<unknown> = Promise.all([...tasks]);
    for (const read of plan.reads) {
      const after = plan.sequential ? previous : undefined;
      const task = (async () => {
        const record = trace.begin(read.scan.binding.source, read.scan.relation);
        const waitStart = trace.now();
        await after;
        if (read.sharedWith) {
          // The same rows as an earlier read of the same table: a view of its relation, nothing read again.
          const leader = await loaded.get(read.sharedWith.binding)!;
          record.waitedMs = trace.now() - waitStart;
          await exclusive(() =>
            connection.run(`CREATE TEMP VIEW "${read.scan.relation}" AS SELECT * FROM "${leader.relation}"`),
          );
          return read.scan;
        }
        const cache = plan.readCache;
        const snapshot = !cache
          ? undefined
          : snapshots.has(read.scan.binding)
            ? snapshots.get(read.scan.binding)
            : await snapshotOf(read, reads.signal);
        const cacheKey = snapshot === undefined ? undefined : readCacheKeyOf(read, snapshot);
        if (cache && cacheKey !== undefined) {
          const pinned = cache.acquire(cacheKey);
          if (pinned) {
            // Rows an earlier query read from the same snapshot: no keys to wait for, nothing read.
            pins.push(pinned);
            record.waitedMs = trace.now() - waitStart;
            record.cachedRows = pinned.rows;
            const viewStart = trace.now();
            await exclusive(() => connection.run(viewOf(read.scan.relation, pinned.table)));
            record.loadMs = trace.now() - viewStart;
            return read.scan;
          }
        }
        // Each feeder's read, or the rows it had brought when its keys overflowed (then it is not waited for).
        // A wait for a key range expects more keys than a list takes: it is never cut short for them.
        const caps = read.waitsFor.map((edge) =>
          read.byKeyRange?.includes(edge) ? undefined : keyCap(read, edge.toColumn),
        );
        const feeders = await Promise.all(
          read.waitsFor.map((edge, i) => {
            const feeder = loaded.get(edge.from)!;
            const watched = arriving.get(edge.from);
            const cap = caps[i];
            const from = plannedRead.get(edge.from);
            if (!watched || !from || cap === undefined) return feeder;
            const after = Math.max(cap, EVIDENCE_FACTOR * (from.estimatedRows ?? 0));
            return Promise.race([feeder, watched.watch(edge.fromColumn, cap, after)]);
          }),
        );
        const overflowed = read.waitsFor.flatMap((edge, i) => {
          const rows = feeders[i];
          return typeof rows === 'number' ? [{ edge, rows, cap: caps[i] }] : [];
        });
        if (overflowed.length) {
          record.replanned = `stopped waiting for the keys of ${overflowed
            .map(
              ({ edge, rows, cap }) =>
                `${edge.from.alias} (more than ${cap} after ${rows} rows, estimated ${
                  plannedRead.get(edge.from)?.estimatedRows ?? '?'
                })`,
            )
            .join(', ')}`;
        }
        const fromQueries = await Promise.all(queryKeys.get(read.scan.binding) ?? []);
        record.waitedMs = trace.now() - waitStart;
        throwIfAborted(reads.signal);
        const keyLists: KeyList[] =
          read.scan.limit === undefined ? fromQueries.filter((k): k is KeyList => k !== undefined) : [];
        // Same-source key lists are set apart: with a fallback they may give way to a reduction in the source.
        const sameSource: KeyList[] = [];
        let dropped = false;
        if (read.scan.limit === undefined && read.waitsFor.length) {
          const keyStart = trace.now();
          await exclusive(async () => {
            for (const [i, edge] of read.waitsFor.entries()) {
              const from = feeders[i]!;
              if (typeof from === 'number') {
                dropped ||= edge.from.source === edge.to.source;
                continue;
              }
              if (!from.projection.includes(edge.fromColumn)) continue;
              const keys = await keyList(
                loadedKeys(connection, from.relation, edge.fromColumn),
                edge.to,
                edge.toColumn,
                {
                  knownTargetKeys: plannedTargetKeys(read, edge.toColumn),
                  rangeOf: read.estimate.ranges ?? {},
                },
              );
              const sameSourceEdge = edge.from.source === edge.to.source;
              // A range of the source's own keys gives way to a reduction inside it, when the plan kept one.
              if (!keys || keys.range) dropped ||= sameSourceEdge;
              if (!keys) continue;
              if (sameSourceEdge) sameSource.push(keys);
              else keyLists.push(keys);
            }
          });
          trace.keyListMs += trace.now() - keyStart;
        }
        let planned = read;
        if (read.fallback && dropped) {
          // Re-plan on evidence: the keys of the read's own source were too many to send; reduce inside it.
          planned = { ...read, inSource: read.fallback };
          record.replanned = `${record.replanned ? `${record.replanned}; ` : ''}semi-join in source: the keys of ${read.waitsFor
            .filter((e) => e.from.source === e.to.source)
            .map((e) => e.from.alias)
            .join(', ')} were too many to send`;
        } else {
          keyLists.push(...sameSource);
        }
        recordKeysSent(record, keyLists);
        // Kept for later queries only when the rows are the whole request's (no keys narrowed them).
        const keep =
          cache && cacheKey !== undefined && !planned.inSource && keyLists.length === 0
            ? { cache, key: cacheKey, table: cache.newTable() }
            : undefined;
        let batches: readonly RecordBatch[] | undefined;
        try {
          batches = await loadRead(
            connection,
            planned,
            keyLists,
            exclusive,
            reads.signal,
            context,
            record,
            trace,
            {
              ...(keep ? { into: keep.table } : {}),
              ...(arriving.has(read.scan.binding) ? { arriving: arriving.get(read.scan.binding)! } : {}),
            },
          );
        } catch (error) {
          if (keep) keep.cache.discard(keep.table);
          throw error;
        }
        if (keep) {
          // Kept only if the table still names the snapshot it named before the read: rows read across a
          // change are this query's alone (a later change back to the old token must not find them).
          const still = await snapshotOf(read, reads.signal).then(
            (now) => now === snapshot,
            () => false,
          );
          const pinned = keep.cache.add(
            keep.key,
            keep.table,
            record.rows,
            record.bytes,
            still,
            batches,
            readCacheKeyOf(read, ''),
          );
          pins.push(pinned);
          record.keptInCache = pinned.kept;
        }
        return read.scan;
      })();
      loaded.set(read.scan.binding, task);
      const watched = arriving.get(read.scan.binding);
      if (watched) task.then(watched.end.bind(watched), watched.end.bind(watched));
      tasks.push(task);
      previous = task;
    }
    for (const q of keyed) {
      tasks.push(
        loadSourceQuery(connection, q, exclusive, reads.signal, trace, async (record) => {
          const waitStart = trace.now();
          const edges = q.waitsFor!.filter((e) => loaded.has(e.from));
          const feeders = await Promise.all(edges.map((e) => loaded.get(e.from)!));
          record.waitedMs = trace.now() - waitStart;
          throwIfAborted(reads.signal);
          const keyStart = trace.now();
          const lists: SubqueryKeyList[] = [];
          await exclusive(async () => {
            for (const [i, edge] of edges.entries()) {
              const from = feeders[i]!;
              if (!from.projection.includes(edge.fromColumn)) continue;
              const keys = await keyList(
                loadedKeys(connection, from.relation, edge.fromColumn),
                edge.to,
                edge.toColumn,
              );
              if (keys) lists.push({ ref: edge.ref, keys: keys.keys });
            }
          });
          trace.keyListMs += trace.now() - keyStart;
          record.keysSent = lists.reduce((n, k) => n + k.keys.length, 0);
          return lists;
        }),
      );
    }
    const settled = await Promise.allSettled(
      tasks.map((t) =>
        t.catch((error: unknown) => {
          stopReads();
          throw error;
        }),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      // The caller's cancellation, not a read's echo of it, is the error to report.
      throwIfAborted(signal);
      throw firstCause(settled);
    }
    throwIfAborted(signal);
    const result = await connection
      .stream(plan.residual.sql, toDuckDBParams(plan.residual.params))
      .catch((e: unknown) => {
        throw translateDuckDBError(e, signal);
      });
    const schema = resultArrowSchema(result);
    trace.untilResidualMs = trace.now();
    handedOver = true;
    const release = () => {
      signal.removeEventListener('abort', interrupt);
      signal.removeEventListener('abort', stopReads);
      connection.closeSync();
      unpin();
      closeInstance();
    };
    return {
      command: 'SELECT',
      schema,
      batches: closingStream(
        mapStreamErrors(streamResultAsArrow(result, signal), (error) => translateDuckDBError(error, signal)),
        release,
      ),
    };
  } catch (error) {
    throw translateDuckDBError(error, signal);
  } finally {
    if (!handedOver) {
      signal.removeEventListener('abort', interrupt);
      signal.removeEventListener('abort', stopReads);
      connection.closeSync();
      unpin();
      closeInstance();
    }
  }
}

/** The error of the read that failed first in its own right (not one stopped because another failed). */
function firstCause(settled: readonly PromiseSettledResult<unknown>[]): unknown {
  const errors = settled
    .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
    .map((s) => s.reason);
  return errors.find((e) => !(SpokeError.isInstance(e) && e.code === ErrorCode.QUERY_CANCELLED)) ?? errors[0];
}

/** Runs `fn` after every earlier call's `fn` has finished: one DuckDB statement at a time on the connection. */
function serialized(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** A sub-query sent whole: loaded, and its first column's relation named for a key list. */
async function loadSourceQuery(
  connection: DuckDBConnection,
  q: SourceQueryPlan,
  exclusive: ReturnType<typeof serialized>,
  signal: AbortSignal,
  trace: ExecutionTrace,
  /** Waits for the reads whose keys it takes and returns their key lists (recorded on `record`). */
  keys?: (record: ReadActuals) => Promise<SubqueryKeyList[]>,
): Promise<{ relation: string; column: string }> {
  const record = trace.begin(q.source, q.relation);
  const keyLists = keys ? await keys(record) : [];
  const started = trace.now();
  const stream = observed(
    sourceBatches(q.source, () => q.run(signal, keyLists)),
    record,
    trace,
    started,
  );
  const { schema, batches } = await peekSchema(prefetched(stream));
  await loadTimed(connection, q.relation, schema, batches, { exclusive, signal, record, trace });
  return { relation: q.relation, column: schema.fields[0]?.name ?? '' };
}

/** One planned read: its scan (or reducing query), its rows fetched while DuckDB is busy, then loaded. */
async function loadRead(
  connection: DuckDBConnection,
  read: PlannedRead,
  keyLists: readonly KeyList[],
  exclusive: ReturnType<typeof serialized>,
  signal: AbortSignal,
  context: QueryContext,
  record: ReadActuals,
  trace: ExecutionTrace,
  options: {
    /** Load into this table of the instance's `main` schema (a read-cache entry) and view it as the relation. */
    readonly into?: string;
    /** Sees every batch as it arrives (the waits on this read's keys). */
    readonly arriving?: KeyOverflow;
  } = {},
): Promise<readonly RecordBatch[] | undefined> {
  const { into } = options;
  const scan = read.scan;
  const started = trace.now();
  const open = (): AsyncIterable<RecordBatch> => {
    if (read.inSource) {
      // Key lists go into the reducing query's own IN lists; ranges are left out (the reduction needs no help).
      const lists = keyLists.filter((k) => !k.range);
      const rendered = renderReduction(read.inSource, scan.binding.alias, lists);
      return read.inSource.connector.sql!.execute(rendered, { signal, context });
    }
    return scan.binding.provider.scan(
      scanRequest(
        read,
        keyLists.map((k) => k.filter),
        signal,
        context,
      ),
    );
  };
  // A small read kept in the read cache keeps its Arrow batches too, for residuals that run in memory.
  const kept: KeptBatches | undefined = into !== undefined ? { batches: [], whole: true } : undefined;
  const batches = prefetched(
    keptWhileSmall(
      observed(sourceBatches(scan.binding.source, open), record, trace, started, options.arriving),
      kept,
    ),
  );
  if (scan.projection.length === 0) {
    await loadRowCount(connection, scan.relation, batches, signal, exclusive);
    return undefined;
  }
  // A reducing query's answer carries its own schema; a scan's is the table's, projected.
  const answer = read.inSource
    ? await peekSchema(batches)
    : { schema: scan.binding.arrowSchema.select(scan.projection), batches };
  await loadTimed(connection, scan.relation, answer.schema, answer.batches, {
    exclusive,
    signal,
    record,
    trace,
    ...(into !== undefined ? { into } : {}),
  });
  return kept?.whole ? kept.batches : undefined;
}

/** A read's batches as they passed, while they are all of it and at most {@link IN_MEMORY_MAX_ROWS} rows. */
interface KeptBatches {
  readonly batches: RecordBatch[];
  /** False once the rows passed the limit (`batches` is then emptied and stays so). */
  whole: boolean;
}

/** Passes `batches` on, keeping them in `kept` while they are few enough. */
async function* keptWhileSmall(
  batches: AsyncIterable<RecordBatch>,
  kept: KeptBatches | undefined,
): AsyncGenerator<RecordBatch> {
  if (!kept) return yield* batches;
  let rows = 0;
  for await (const batch of batches) {
    rows += batch.numRows;
    if (kept.whole && rows <= IN_MEMORY_MAX_ROWS) kept.batches.push(batch);
    else {
      kept.whole = false;
      kept.batches.length = 0;
    }
    yield batch;
  }
}

/**
 * Runs a plan whose residual is simple enough (`in-memory-residual.ts`)
 * without DuckDB: each read's rows are collected as Arrow — from the read
 * cache when it holds them as batches, else from the source, all reads at
 * once — and the residual runs on them. Returns `undefined`, having used
 * nothing up, when the plan's reads are not all plain and expected small,
 * when a cacheable read's rows are not at hand as batches (the DuckDB path
 * then reads and keeps them), and when a read turns out far larger than
 * expected (abandoned; the DuckDB path reads again).
 */
async function executeInMemory(
  plan: FederatedPlan,
  residual: InMemoryResidual,
  signal: AbortSignal,
  context: QueryContext,
  /** Filled with each snapshot asked for. */
  snapshots: Map<TableBinding, string | undefined>,
): Promise<QueryResult | undefined> {
  if (plan.sourceQueries.length > 0 || plan.reads.length !== residual.relations.length) return undefined;
  for (const read of plan.reads) {
    if (
      read.sharedWith ||
      read.inSource ||
      read.fallback ||
      read.scan.projection.length === 0 ||
      !residual.relations.includes(read.scan.relation) ||
      !((read.estimatedRows ?? Number.POSITIVE_INFINITY) <= IN_MEMORY_MAX_ROWS)
    )
      return undefined;
  }
  const trace = plan.trace ?? new ExecutionTrace();
  type Rows = { readonly schema: Schema; readonly batches: readonly RecordBatch[] };
  const collected = new Map<TableBinding, Promise<Rows | undefined>>();
  const pins: PinnedRead[] = [];
  try {
    // Cached reads first. A plain read the cache does not hold as batches sends the query to the DuckDB
    // path, which reads and keeps it; one that waits for keys would not be kept whole: read here. Decided
    // before anything is pinned or counted, so a query handed to the DuckDB path is counted once.
    const cache = plan.readCache;
    if (cache) {
      const keys = new Map<PlannedRead, string>();
      for (const read of plan.reads) {
        const snapshot = await snapshotOf(read, signal);
        snapshots.set(read.scan.binding, snapshot);
        if (snapshot === undefined) continue;
        const key = readCacheKeyOf(read, snapshot);
        if (!cache.holdsBatches(key) && (read.waitsFor.length === 0 || cache.has(key))) return undefined;
        keys.set(read, key);
      }
      for (const [read, key] of keys) {
        // A hit; or, when nothing is kept any more, a miss (as the DuckDB path counts it): read from the source.
        const pinned = cache.acquire(key);
        if (!pinned?.batches) {
          pinned?.release();
          continue;
        }
        pins.push(pinned);
        const record = trace.begin(read.scan.binding.source, read.scan.relation);
        record.cachedRows = pinned.rows;
        collected.set(
          read.scan.binding,
          Promise.resolve({ schema: loadedSchema(read), batches: pinned.batches }),
        );
      }
    }
    // The others from their sources, all at once; a read waits only for the reads whose keys it takes.
    const reads = new AbortController();
    const stop = () => reads.abort(signal.reason);
    signal.addEventListener('abort', stop, { once: true });
    let tooLarge = false;
    try {
      for (const read of plan.reads) {
        if (collected.has(read.scan.binding)) continue;
        const task = (async (): Promise<Rows | undefined> => {
          const record = trace.begin(read.scan.binding.source, read.scan.relation);
          const waitStart = trace.now();
          const feeders = await Promise.all(read.waitsFor.map((e) => collected.get(e.from)));
          record.waitedMs = trace.now() - waitStart;
          throwIfAborted(reads.signal);
          const keyLists: KeyList[] = [];
          if (read.scan.limit === undefined) {
            for (const [i, edge] of read.waitsFor.entries()) {
              const from = feeders[i];
              if (!from || !from.schema.fields.some((f) => f.name === edge.fromColumn)) continue;
              const values = inMemoryColumnValues(from.schema, from.batches, edge.fromColumn);
              const keys = await keyList(valueKeys(values), edge.to, edge.toColumn, {
                knownTargetKeys: plannedTargetKeys(read, edge.toColumn),
                rangeOf: read.estimate.ranges ?? {},
              });
              if (keys) keyLists.push(keys);
            }
          }
          recordKeysSent(record, keyLists);
          const request = scanRequest(
            read,
            keyLists.map((k) => k.filter),
            reads.signal,
            context,
          );
          const started = trace.now();
          const batches: RecordBatch[] = [];
          let rows = 0;
          for await (const batch of observed(
            sourceBatches(read.scan.binding.source, () => read.scan.binding.provider.scan(request)),
            record,
            trace,
            started,
          )) {
            rows += batch.numRows;
            if (rows > ABANDON_IN_MEMORY_ROWS) {
              // Far past its estimate: the DuckDB path reads it again, loading as it goes.
              tooLarge = true;
              stop();
              return undefined;
            }
            batches.push(batch);
          }
          return { schema: loadedSchema(read), batches };
        })();
        collected.set(
          read.scan.binding,
          task.catch((error: unknown) => {
            stop();
            throw error;
          }),
        );
      }
      const settled = await Promise.allSettled(collected.values());
      throwIfAborted(signal);
      if (tooLarge) return undefined;
      if (settled.some((s) => s.status === 'rejected')) throw firstCause(settled);
    } finally {
      signal.removeEventListener('abort', stop);
    }
    const inputs = new Map<string, Rows>();
    for (const read of plan.reads) inputs.set(read.scan.relation, (await collected.get(read.scan.binding))!);
    const answer = runInMemoryResidual(residual, inputs);
    trace.untilResidualMs = trace.now();
    trace.residualInMemory = true;
    return {
      command: 'SELECT',
      schema: answer.schema,
      // As DuckDB's stream: no batch at all for no rows.
      batches: batchesOf(answer.batches.filter((batch) => batch.numRows > 0)),
    };
  } finally {
    for (const pin of pins) pin.release();
  }
}

/** Records on a read what its key lists sent: the keys, and each range as `column low..high`. */
function recordKeysSent(record: ReadActuals, keyLists: readonly KeyList[]): void {
  record.keysSent = keyLists.reduce((n, k) => n + k.keys.length, 0);
  const ranges = keyLists.flatMap((k) => (k.range ? [`${k.column} ${k.range.low}..${k.range.high}`] : []));
  if (ranges.length) record.keyRanges = ranges;
}

/** Rows past which a read for the in-memory residual is abandoned (its estimate was far off). */
const ABANDON_IN_MEMORY_ROWS = 8 * IN_MEMORY_MAX_ROWS;

/** The schema of a plain scan's rows: the table's, projected (as the DuckDB path loads them). */
function loadedSchema(read: PlannedRead): Schema {
  return read.scan.binding.arrowSchema.select(read.scan.projection);
}

/** The request a plain scan of `read` sends, its filters followed by `keyFilters`. */
function scanRequest(
  read: PlannedRead,
  keyFilters: readonly Expr[],
  signal: AbortSignal,
  context: QueryContext,
): ScanRequest {
  const parts = scanRequestParts(read);
  return {
    projection: parts.projection,
    filters: [...parts.filters, ...keyFilters],
    ...(parts.limit !== undefined ? { limit: parts.limit } : {}),
    ...(parts.orderBy ? { orderBy: parts.orderBy } : {}),
    signal,
    context,
  };
}

/** The request a plain scan of `read` sends, without key lists (they only narrow a read). */
function scanRequestParts(read: Pick<PlannedRead, 'scan'>) {
  const scan = read.scan;
  return {
    projection: scan.projection,
    filters: scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr),
    limit: scan.limit,
    orderBy: scan.orderBy,
  };
}

/**
 * The snapshot token of the table a plain scan reads, when it names one;
 * `undefined` for anything else, or when the table fails to give one (the
 * scan then reports the source's error itself).
 */
async function snapshotOf(read: PlannedRead, signal: AbortSignal): Promise<string | undefined> {
  return read.inSource ? undefined : scanSnapshot(read.scan, signal);
}

/** {@link snapshotOf} for a scan read plainly. */
async function scanSnapshot(scan: ScanPlan, signal: AbortSignal): Promise<string | undefined> {
  const { binding, projection } = scan;
  // A read the residual orders by arrival needs a table of its own (its rowid is that order), not a cached view.
  if (projection.length === 0 || !binding.provider.snapshot || ordersByArrival(scan)) return undefined;
  const snapshot = await binding.provider.snapshot(signal).catch(() => undefined);
  throwIfAborted(signal);
  return snapshot;
}

/** The read-cache key of a plain scan of a table at `snapshot`. */
function readCacheKeyOf(read: Pick<PlannedRead, 'scan'>, snapshot: string): string {
  const { binding } = read.scan;
  return readCacheKey({
    source: binding.source,
    schema: binding.schema,
    table: binding.table,
    snapshot,
    ...scanRequestParts(read),
  });
}

/**
 * The scans whose plain read `cache` holds, for some snapshot, for the
 * planner: a cached read costs nothing and is not worth reducing. Asked
 * without the tables' snapshots (`ReadCache.holdsFamily`).
 */
export function scansInReadCache(scans: readonly ScanPlan[], cache: ReadCache): Set<ScanPlan> {
  return new Set(scans.filter((scan) => cache.holdsFamily(readCacheKeyOf({ scan }, ''))));
}

/** A temporary view named `relation` over a read-cache table. */
function viewOf(relation: string, table: string): string {
  return `CREATE TEMP VIEW "${relation}" AS SELECT * FROM main."${table}"`;
}

/** Loads a read's rows into `relation` when the connection is free, timing the load for its record. */
async function loadTimed(
  connection: DuckDBConnection,
  relation: string,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  run: {
    readonly exclusive: ReturnType<typeof serialized>;
    readonly signal: AbortSignal;
    readonly record: ReadActuals;
    readonly trace: ExecutionTrace;
    /** A table of the instance's `main` schema to load instead, viewed as `relation` (a read-cache entry). */
    readonly into?: string;
  },
): Promise<void> {
  await run.exclusive(async () => {
    const loadStart = run.trace.now();
    if (run.into === undefined) {
      await loadBatches(connection, relation, schema, batches, run.signal);
    } else {
      await loadBatches(connection, run.into, schema, batches, run.signal, { temporary: false });
      await connection.run(viewOf(relation, run.into));
    }
    run.record.loadMs = run.trace.now() - loadStart;
  });
}

/** Counts a read's rows and bytes and times its first and last batch. */
export async function* observed(
  batches: AsyncIterable<RecordBatch>,
  record: ReadActuals,
  trace: ExecutionTrace,
  started: number,
  /** Told of every batch as it arrives. */
  arriving?: KeyOverflow,
): AsyncGenerator<RecordBatch> {
  let first = true;
  for await (const batch of batches) {
    if (first) {
      record.firstBatchMs = trace.now() - started;
      first = false;
    }
    record.rows += batch.numRows;
    record.bytes += batch.data.byteLength;
    arriving?.observe(batch);
    yield batch;
  }
  record.elapsedMs = trace.now() - started;
  if (first) record.firstBatchMs = record.elapsedMs;
}

/** At most this many Arrow bytes of one read wait in memory for DuckDB; then the source waits (backpressure). */
const MAX_PREFETCH_BYTES = 64 * 1024 * 1024;

/**
 * Starts pulling `batches` at once and keeps what arrives until the
 * consumer asks, so a source streams while DuckDB loads another relation —
 * up to {@link MAX_PREFETCH_BYTES}, past which the source is not asked for
 * more until the consumer catches up.
 */
export function prefetched(batches: AsyncIterable<RecordBatch>): AsyncIterable<RecordBatch> {
  const iterator = batches[Symbol.asyncIterator]();
  const state: Prefetch = {
    buffer: [],
    buffered: 0,
    failure: undefined,
    wake: undefined,
    resume: undefined,
    stopped: false,
  };
  const pump = pumpPrefetch(iterator, state);
  return closingStream(readPrefetched(state), async () => {
    state.stopped = true;
    state.resume?.();
    await pump;
    await iterator.return?.();
  });
}

/** What {@link prefetched}'s pump and its reader share. */
interface Prefetch {
  readonly buffer: IteratorResult<RecordBatch>[];
  /** Arrow bytes waiting in {@link Prefetch.buffer}. */
  buffered: number;
  failure: { error: unknown } | undefined;
  /** Wakes the reader waiting for a batch. */
  wake: (() => void) | undefined;
  /** Wakes the pump waiting for room. */
  resume: (() => void) | undefined;
  stopped: boolean;
}

/** Pulls `iterator` into `state` until it ends, fails or is stopped, waiting while the buffer is full. */
async function pumpPrefetch(iterator: AsyncIterator<RecordBatch>, state: Prefetch): Promise<void> {
  try {
    for (;;) {
      if (state.buffered > MAX_PREFETCH_BYTES) await new Promise<void>((r) => (state.resume = r));
      if (state.stopped) return;
      const next = await iterator.next();
      state.buffer.push(next);
      if (!next.done) state.buffered += next.value.data.byteLength;
      state.wake?.();
      if (next.done || state.stopped) return;
    }
  } catch (error) {
    state.failure = { error };
    state.wake?.();
  }
}

/** The batches {@link pumpPrefetch} buffers, as they arrive (a generator declared once: see `batchesOf` in `@spoke/core`). */
async function* readPrefetched(state: Prefetch): AsyncGenerator<RecordBatch> {
  for (;;) {
    if (state.buffer.length === 0 && !state.failure)
      await new Promise<void>((resolve) => (state.wake = resolve));
    state.wake = undefined;
    const next = state.buffer.shift();
    if (next) {
      if (next.done) return;
      state.buffered -= next.value.data.byteLength;
      if (state.buffered <= MAX_PREFETCH_BYTES && state.resume) {
        state.resume();
        state.resume = undefined;
      }
      yield next.value;
    } else if (state.failure) {
      throw state.failure.error;
    }
  }
}

/**
 * Keys of a loaded relation's column, as a filter for another read's column:
 * the distinct keys (`IN (…)`), or, when they are too many for a list, their
 * smallest and largest (`BETWEEN`, `keys` then empty).
 */
interface KeyList {
  readonly column: string;
  readonly keys: readonly ScalarValue[];
  readonly filter: Expr;
  /** Set when the filter is the keys' range rather than their list. */
  readonly range?: { readonly low: ScalarValue; readonly high: ScalarValue };
}

/** What {@link keyList} knows of the target column from the plan. */
interface KeyListOptions {
  /** Distinct values of the target column (or its rows) as the plan's estimate knew them; asked when absent. */
  readonly knownTargetKeys?: number | undefined;
  /**
   * The target table's column ranges from its statistics; given, an integer
   * column whose keys are too many for a list may take their range instead.
   */
  readonly rangeOf?: Readonly<Record<string, ColumnRange>>;
}

/**
 * The keys of a join column, however its rows are held: their distinct
 * non-null values (at most `limit`), and their smallest and largest.
 * Integers come as number or bigint, text as string.
 */
interface KeySource {
  distinct(limit: number): Promise<readonly unknown[]>;
  minMax(): Promise<readonly [unknown, unknown]>;
}

/** The keys of `relation.column` loaded in DuckDB. */
function loadedKeys(connection: DuckDBConnection, relation: string, column: string): KeySource | undefined {
  if (!column) return undefined;
  const quoted = `"${column.replaceAll('"', '""')}"`;
  return {
    async distinct(limit) {
      const reader = await connection.runAndReadAll(
        `SELECT DISTINCT ${quoted} FROM "${relation}" WHERE ${quoted} IS NOT NULL LIMIT ${limit}`,
      );
      return reader.getRows().map((r) => r[0]);
    },
    async minMax() {
      const reader = await connection.runAndReadAll(
        `SELECT min(${quoted}), max(${quoted}) FROM "${relation}"`,
      );
      const [min, max] = reader.getRows()[0] ?? [];
      return [min, max];
    },
  };
}

/** The keys of a column held in memory as values (`in-memory-residual.ts`). */
function valueKeys(values: readonly unknown[]): KeySource {
  return {
    async distinct(limit) {
      const seen = new Set<unknown>();
      for (const v of values) {
        if (v === null || v === undefined) continue;
        seen.add(v);
        if (seen.size >= limit) break;
      }
      return [...seen];
    },
    async minMax() {
      let min: unknown = null;
      let max: unknown = null;
      for (const v of values) {
        if (v === null || v === undefined) continue;
        if (min === null || compareValues(v as RowValue, min as RowValue) < 0) min = v;
        if (max === null || compareValues(v as RowValue, max as RowValue) > 0) max = v;
      }
      return [min, max];
    },
  };
}

/**
 * `to.toColumn IN (…)` with the distinct keys of `keys`, when they are few
 * enough, keep less than half of the target's keys, and the target's source
 * accepts the filter; else, with `rangeOf`, the keys' range
 * ({@link keyRange}); else `undefined`.
 */
async function keyList(
  keys: KeySource | undefined,
  to: TableBinding,
  toColumn: string,
  options: KeyListOptions = {},
): Promise<KeyList | undefined> {
  const type = keyColumnType(to, toColumn);
  if (!type || !keys) return undefined;
  const limit = keyLimitOf(to);
  const asRange = () =>
    options.rangeOf ? keyRange(keys, to, toColumn, type, options.rangeOf[toColumn]) : undefined;
  // At most limit + 1 distinct keys come back, so a long list is known to be too long.
  const rows = await keys.distinct(limit + 1);
  if (rows.length > limit) return asRange();
  // A list that keeps most of the other side's keys costs the source more than it saves.
  const { knownTargetKeys } = options;
  const stats =
    knownTargetKeys === undefined ? await to.provider.statistics?.().catch(() => undefined) : undefined;
  const targetKeys =
    knownTargetKeys ?? stats?.columns?.[toColumn]?.distinctCount?.value ?? stats?.rowCount?.value;
  if (targetKeys !== undefined && rows.length > targetKeys * 0.5) return asRange();
  const literals = rows.map((r) => keyLiteral(r, type));
  if (literals.some((k) => k === undefined)) return undefined;
  const filter = Ex.in(Ex.col(toColumn), literals as Expr[]);
  const [support] = (await to.provider.supportsFilters?.([filter])) ?? ['unsupported'];
  if (support === 'unsupported') return undefined;
  return {
    column: toColumn,
    keys: (literals as Expr[]).map((l) => (l as { value: ScalarValue }).value),
    filter,
  };
}

/**
 * `to.toColumn BETWEEN low AND high` over the keys' smallest and largest, for
 * an integer column whose keys are too many for a list — as Trino's dynamic
 * filters collapse to a min/max range past their distinct-value limit. A
 * source applies a range as cheaply as any filter (by index where it has
 * one, by row-group or file statistics in Parquet), and keys drawn from a
 * narrow band — the recent ids of a time-ordered table — cut its rows as a
 * list would. Not sent when the target's statistics show the range keeps
 * nearly all of its span (≥ 90 %); sent when they know no span.
 */
async function keyRange(
  keys: KeySource,
  to: TableBinding,
  toColumn: string,
  type: ScalarType,
  targetRange: ColumnRange | undefined,
): Promise<KeyList | undefined> {
  const bounds = INTEGER_BOUNDS[type.id];
  if (!bounds) return undefined;
  const [min, max] = await keys.minMax();
  let low = integerKey(min);
  let high = integerKey(max);
  if (low === undefined || high === undefined) return undefined;
  // Keys of a wider type than the column: what lies outside the column's type matches nothing there.
  if (low < bounds[0]) low = bounds[0];
  if (high > bounds[1]) high = bounds[1];
  if (low > high) return undefined;
  if (targetRange && targetRange.max > targetRange.min) {
    const kept = Math.min(Number(high), targetRange.max) - Math.max(Number(low), targetRange.min);
    if (kept / (targetRange.max - targetRange.min) >= 0.9) return undefined;
  }
  const lowLiteral = keyLiteral(low, type)!;
  const highLiteral = keyLiteral(high, type)!;
  const filter = Ex.between(Ex.col(toColumn), lowLiteral, highLiteral);
  const [support] = (await to.provider.supportsFilters?.([filter])) ?? ['unsupported'];
  if (support === 'unsupported') return undefined;
  const value = (l: Expr) => (l as { value: ScalarValue }).value;
  return { column: toColumn, keys: [], filter, range: { low: value(lowLiteral), high: value(highLiteral) } };
}

/** Each integer key type's smallest and largest value. */
const INTEGER_BOUNDS: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * How many distinct keys of a feeder the read would take for `toColumn`:
 * its key limit, and at most half its own keys (as {@link keyList} checks);
 * undefined when the column takes no key list at all.
 */
function keyCap(read: PlannedRead, toColumn: string): number | undefined {
  if (!keyColumnType(read.scan.binding, toColumn)) return undefined;
  const targetKeys = plannedTargetKeys(read, toColumn);
  return Math.floor(
    Math.min(keyLimitOf(read.scan.binding), targetKeys === undefined ? Infinity : targetKeys * 0.5),
  );
}

/** Distinct values of the read's column (else its table's rows), as the plan's estimate knew them. */
function plannedTargetKeys(read: PlannedRead, column: string): number | undefined {
  return read.estimate.distinct[column] ?? read.estimate.tableRows;
}

/** The type of `binding`'s `column` when a key list can filter it (integers and text), else undefined. */
function keyColumnType(binding: TableBinding, column: string): ScalarType | undefined {
  const field = binding.arrowSchema.fields.find((f) => f.name === column);
  const type = field ? fromArrowType(field.type) : undefined;
  return type && KEY_TYPES.has(type.id) ? type : undefined;
}

const KEY_TYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'utf8']);

/** A key as a literal of the target column's own type (a source compares like with like: an int4 column and int8 keys make PostgreSQL check an IN-list value by value). */
function keyLiteral(value: unknown, type: ScalarType): Expr | undefined {
  if (type.id === 'utf8') return typeof value === 'string' ? Ex.lit(value, type) : undefined;
  const n = integerKey(value);
  if (n === undefined) return undefined;
  return type.id === 'int64' || type.id === 'uint64' ? Ex.lit(n, type) : Ex.lit(Number(n), type);
}

/** An integer key as DuckDB returned it (BIGINT as bigint, smaller types as numbers), exactly; else undefined. */
function integerKey(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
}

/**
 * Reads the first batch to learn the schema (SQL executors yield at least one
 * batch, empty when there are no rows) and returns a stream that replays it.
 */
export async function peekSchema(
  batches: AsyncIterable<RecordBatch>,
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new SpokeError(
      ErrorCode.INTERNAL,
      'a SQL executor returned no batch: it must yield at least one (empty) batch',
    );
  }
  return {
    schema: first.value.schema,
    batches: closingStream(resumedStream(first.value, iterator), async () => {
      await iterator.return?.();
    }),
  };
}

/** Wraps a source's stream so its failures name the source. */
export async function* sourceBatches(
  source: string,
  open: () => AsyncIterable<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  try {
    yield* open();
  } catch (error) {
    if (SpokeError.isInstance(error)) throw error;
    throw new SpokeError(
      ErrorCode.SOURCE_ERROR,
      `source "${source}" failed: ${(error as Error)?.message ?? error}`,
      {
        cause: error,
        source,
      },
    );
  }
}

/**
 * A scan that needs no column (`count(*)`): only its row count matters, and
 * DuckDB has no zero-column tables, so the relation gets one NULL column.
 */
async function loadRowCount(
  connection: DuckDBConnection,
  relation: string,
  batches: AsyncIterable<RecordBatch>,
  signal: AbortSignal,
  exclusive: ReturnType<typeof serialized>,
): Promise<void> {
  let rows = 0;
  for await (const batch of batches) {
    throwIfAborted(signal);
    rows += batch.numRows;
  }
  await exclusive(() =>
    connection.run(
      `CREATE TEMP TABLE "${relation}" AS SELECT CAST(NULL AS BOOLEAN) AS "__spoke_row" FROM range(${rows})`,
    ),
  );
}

/** Values for DuckDB parameters. */
export type { ScalarValue };
