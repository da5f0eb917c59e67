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
  ErrorCode,
  Ex,
  type Expr,
  fromArrowType,
  type QueryContext,
  type RecordBatch,
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
import type { JoinKeyEdge } from '../pushdown/plan-join-keys.js';
import type { ScanPlan } from '../pushdown/plan-scans.js';
import { closingStream } from './closing-stream.js';
import { translateDuckDBError } from './duckdb-errors.js';
import type { ResidualQuery } from './residual.js';
import { openResidualConnection } from './residual-connections.js';

/** A sub-query sent whole to one SQL source, loaded as `relation`. */
export interface SourceQueryPlan {
  readonly source: string;
  readonly relation: string;
  readonly run: (signal: AbortSignal) => AsyncIterable<RecordBatch>;
  /** For `x IN (sub-query)`: the scan column its answer's keys may restrict (as a join edge does). */
  readonly keysFor?: { readonly binding: TableBinding; readonly column: string };
}

/** Everything the executor needs for one SELECT. */
export interface FederatedPlan {
  readonly scans: readonly ScanPlan[];
  /** Join edges along which loaded keys may restrict later scans. */
  readonly joinKeys: readonly JoinKeyEdge[];
  readonly sourceQueries: readonly SourceQueryPlan[];
  readonly residual: ResidualQuery;
}

/** Loads every source answer and starts the residual; rows stream from the returned result. */
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
  const connection = await openResidualConnection(instance).catch((error: unknown) => {
    closeInstance();
    throw error;
  });
  const interrupt = () => connection.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  let handedOver = false;
  try {
    const dynamic = new Map<ScanPlan, Expr[]>();
    const loaded = new Set<ScanPlan>();
    // Sub-queries sent whole first: they depend on no scan, and an `IN (…)` one's few keys filter one.
    for (const q of plan.sourceQueries) {
      const { schema, batches } = await peekSchema(sourceBatches(q.source, () => q.run(signal)));
      await loadBatches(connection, q.relation, schema, batches, signal);
      const target = q.keysFor && plan.scans.find((s) => s.binding === q.keysFor!.binding);
      const column = schema.fields[0]?.name;
      if (target && column !== undefined && target.limit === undefined) {
        const filter = await keyFilter(connection, q.relation, column, q.keysFor!.binding, q.keysFor!.column);
        if (filter) dynamic.set(target, [...(dynamic.get(target) ?? []), filter]);
      }
    }
    for (const scan of await smallestFirst(plan.scans, signal)) {
      const request: ScanRequest = {
        projection: scan.projection,
        filters: [
          ...scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr),
          ...(dynamic.get(scan) ?? []),
        ],
        ...(scan.limit !== undefined ? { limit: scan.limit } : {}),
        ...(scan.orderBy ? { orderBy: scan.orderBy } : {}),
        signal,
        context,
      };
      const batches = sourceBatches(scan.binding.source, () => scan.binding.provider.scan(request));
      if (scan.projection.length === 0) {
        await loadRowCount(connection, scan.relation, batches, signal);
      } else {
        await loadBatches(
          connection,
          scan.relation,
          scan.binding.arrowSchema.select(scan.projection),
          batches,
          signal,
        );
      }
      loaded.add(scan);
      await addKeyFilters(connection, scan, plan, loaded, dynamic);
    }
    throwIfAborted(signal);
    const result = await connection
      .stream(plan.residual.sql, toDuckDBParams(plan.residual.params))
      .catch((e: unknown) => {
        throw translateDuckDBError(e, signal);
      });
    const schema = resultArrowSchema(result);
    handedOver = true;
    const release = () => {
      signal.removeEventListener('abort', interrupt);
      connection.closeSync();
      closeInstance();
    };
    return {
      command: 'SELECT',
      schema,
      batches: closingStream(
        (async function* () {
          try {
            for await (const batch of streamResultAsArrow(result, signal)) yield batch;
          } catch (error) {
            throw translateDuckDBError(error, signal);
          }
        })(),
        release,
      ),
    };
  } catch (error) {
    throw translateDuckDBError(error, signal);
  } finally {
    if (!handedOver) {
      signal.removeEventListener('abort', interrupt);
      connection.closeSync();
      closeInstance();
    }
  }
}

/** At most this many distinct keys travel as a dynamic `IN (…)` filter. */
export const MAX_DYNAMIC_FILTER_KEYS = 20_000;

/**
 * Scans ordered by their estimated rows after their own filters, smallest
 * first (unknown last), so small sides filter big ones. The source's own
 * estimate comes first (`SpokeTable.estimateRows`: PostgreSQL's planner
 * knows its data's distributions); else the row count with the usual
 * textbook selectivities (equality 5%, a range or pattern 25%).
 */
async function smallestFirst(scans: readonly ScanPlan[], signal: AbortSignal): Promise<ScanPlan[]> {
  const sized = await Promise.all(
    scans.map(async (scan, index) => {
      const pushed = scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr);
      const estimated = await scan.binding.provider.estimateRows?.(pushed, signal).catch(() => undefined);
      if (estimated !== undefined) return { scan, index, rows: estimated };
      const stats = await scan.binding.provider.statistics?.(signal).catch(() => undefined);
      let rows = stats?.rowCount?.value ?? Number.POSITIVE_INFINITY;
      for (const expr of pushed) rows *= selectivity(expr);
      return { scan, index, rows };
    }),
  );
  return sized.sort((a, b) => a.rows - b.rows || a.index - b.index).map((s) => s.scan);
}

function selectivity(expr: Expr): number {
  switch (expr.kind) {
    case 'compare':
      return expr.op === '=' ? 0.05 : expr.op === '<>' ? 0.9 : 0.25;
    case 'in':
      return expr.negated ? 0.9 : Math.min(1, 0.05 * expr.list.length);
    case 'and':
      return expr.args.reduce((p, a) => p * selectivity(a), 1);
    case 'or':
      return Math.min(
        1,
        expr.args.reduce((p, a) => p + selectivity(a), 0),
      );
    case 'isNull':
      return expr.negated ? 0.9 : 0.1;
    default:
      return 0.25;
  }
}

/**
 * After `scan` is loaded: for every join edge from it to a scan not yet run,
 * sends its distinct keys (when there are few enough) as `column IN (…)` —
 * a filter the join implies, so any answer from the source is correct.
 */
async function addKeyFilters(
  connection: DuckDBConnection,
  scan: ScanPlan,
  plan: FederatedPlan,
  loaded: ReadonlySet<ScanPlan>,
  dynamic: Map<ScanPlan, Expr[]>,
): Promise<void> {
  for (const edge of plan.joinKeys) {
    if (edge.from !== scan.binding) continue;
    const target = plan.scans.find((s) => s.binding === edge.to);
    if (!target || loaded.has(target) || target.limit !== undefined) continue;
    if (!scan.projection.includes(edge.fromColumn)) continue;
    const filter = await keyFilter(connection, scan.relation, edge.fromColumn, edge.to, edge.toColumn);
    if (filter) dynamic.set(target, [...(dynamic.get(target) ?? []), filter]);
  }
}

/**
 * `to.toColumn IN (…)` with the distinct keys of `relation.column` (loaded
 * in DuckDB), when they are few enough, keep less than half of the target's
 * keys, and the target's source accepts the filter; else `undefined`.
 */
async function keyFilter(
  connection: DuckDBConnection,
  relation: string,
  fromColumn: string,
  to: TableBinding,
  toColumn: string,
): Promise<Expr | undefined> {
  const field = to.arrowSchema.fields.find((f) => f.name === toColumn);
  const type = field ? fromArrowType(field.type) : undefined;
  if (!type || !KEY_TYPES.has(type.id)) return undefined;
  const column = `"${fromColumn.replaceAll('"', '""')}"`;
  const counted = await connection.runAndReadAll(`SELECT count(DISTINCT ${column}) FROM "${relation}"`);
  const distinct = Number(counted.getRows()[0]![0]);
  if (distinct > MAX_DYNAMIC_FILTER_KEYS) return undefined;
  // A list that keeps most of the other side's keys costs the source more than it saves.
  const stats = await to.provider.statistics?.().catch(() => undefined);
  const targetKeys = stats?.columns?.[toColumn]?.distinctCount?.value ?? stats?.rowCount?.value;
  if (targetKeys !== undefined && distinct > targetKeys * 0.5) return undefined;
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT ${column} FROM "${relation}" WHERE ${column} IS NOT NULL`,
  );
  const keys = reader.getRows().map((r) => keyLiteral(r[0], type));
  if (keys.some((k) => k === undefined)) return undefined;
  const filter = Ex.in(Ex.col(toColumn), keys as Expr[]);
  const [support] = (await to.provider.supportsFilters?.([filter])) ?? ['unsupported'];
  return support === 'unsupported' ? undefined : filter;
}

const KEY_TYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'utf8']);

/** A key as a literal of the target column's own type (a source compares like with like: an int4 column and int8 keys make PostgreSQL check an IN-list value by value). */
function keyLiteral(value: unknown, type: ScalarType): Expr | undefined {
  if (type.id === 'utf8') return typeof value === 'string' ? Ex.lit(value, type) : undefined;
  const n =
    typeof value === 'bigint'
      ? value
      : typeof value === 'number' && Number.isSafeInteger(value)
        ? BigInt(value)
        : undefined;
  if (n === undefined) return undefined;
  return type.id === 'int64' || type.id === 'uint64' ? Ex.lit(n, type) : Ex.lit(Number(n), type);
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
    batches: closingStream(
      (async function* () {
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      })(),
      async () => {
        await iterator.return?.();
      },
    ),
  };
}

/** Wraps a source's stream so its failures name the source. */
async function* sourceBatches(
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
): Promise<void> {
  let rows = 0;
  for await (const batch of batches) {
    throwIfAborted(signal);
    rows += batch.numRows;
  }
  await connection.run(
    `CREATE TEMP TABLE "${relation}" AS SELECT CAST(NULL AS BOOLEAN) AS "__spoke_row" FROM range(${rows})`,
  );
}

/** Values for DuckDB parameters. */
export type { ScalarValue };
