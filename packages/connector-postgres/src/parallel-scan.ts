import { arrow, ErrorCode, type RecordBatch, type ScanRequest, SpokeError } from '@spoke/core';
import { columnlessBatch, type SqlTableDescription } from '@spoke/sdk';
import type { PgPoolClient } from './pg-driver.js';
import type { PostgresConnector } from './postgres-connector.js';
import { toSpokeError } from './postgres-errors.js';

/**
 * A plain scan of a large table split over `workers` connections by ctid
 * (page) ranges, as DuckDB's postgres_scanner does. All workers read one
 * snapshot (exported by a coordinating transaction), so the union is exactly
 * what a single scan would return. PostgreSQL 14+ answers `ctid` ranges with
 * a TID range scan, reading only those pages. Batches arrive in no
 * particular order; at most `workers × 2` batches wait in memory.
 */
export async function* parallelScan(
  connector: PostgresConnector,
  table: SqlTableDescription,
  request: ScanRequest,
  pages: number,
  workers: number,
): AsyncGenerator<RecordBatch> {
  const { signal } = request;
  // The projection and FROM come from renderScan without filters; the ctid range goes first in WHERE, then the
  // filters. Built by parts, not by editing SQL text: a quoted name or literal may itself contain " WHERE ".
  const base = connector.renderScan(table, { projection: request.projection, filters: [] });
  const filters = request.filters.length
    ? connector.renderScan(table, { projection: [], filters: request.filters })
    : undefined;
  const q = (name: string) => connector.expressionDialect.quoteIdentifier(name);
  const prefix = `SELECT 1 AS ${q('?column?')} FROM ${q(table.schema)}.${q(table.name)} WHERE `;
  if (filters && !filters.sql.startsWith(prefix))
    throw new SpokeError(ErrorCode.INTERNAL, 'unexpected scan SQL shape');
  const filterSql = filters ? filters.sql.slice(prefix.length) : '';
  if (base.params.length > 0 || (filters?.params.length ?? 0) > 0) {
    throw new SpokeError(ErrorCode.INTERNAL, 'parallel scans need inline literals');
  }
  const columns = request.projection.map((name) => table.columns.find((c) => c.name === name)!);
  const scanColumns = columns.length
    ? columns
    : [
        {
          name: '?column?',
          field: new arrow.Field('?column?', new arrow.Int32(), true),
          sourceType: 'integer',
          native: {
            type: { oid: 23, typmod: -1, kind: 'int4', castToText: false, arrowType: new arrow.Int32() },
            byteOrderCollation: true,
            asciiCaseMapping: false,
          },
        },
      ];
  const step = Math.ceil(pages / workers);
  const ranges = Array.from({ length: workers }, (_, i) => {
    const lo = `ctid >= '(${i * step},0)'::tid`;
    return i === workers - 1 ? lo : `${lo} AND ctid < '(${(i + 1) * step},0)'::tid`;
  });

  const coordinator = await connector.connect(signal);
  const clients: PgPoolClient[] = [];
  const queue: RecordBatch[] = [];
  let failure: unknown;
  let running = ranges.length;
  let wake: (() => void) | undefined;
  let space: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let healthy = true;
  // Connections are pooled again only after their transactions committed.
  let completed = false;
  try {
    await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await coordinator.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    for (let i = 0; i < ranges.length; i++) clients.push(await connector.connect(signal));
    for (const client of clients) {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replaceAll("'", "''")}'`);
    }
    ranges.forEach((range, i) => {
      const sql = `${base.sql} WHERE ${range}${filterSql ? ` AND ${filterSql}` : ''}`;
      void (async () => {
        try {
          for await (const batch of connector.copyOnClient(
            clients[i]!,
            sql,
            scanColumns,
            controller.signal,
          )) {
            queue.push(batch);
            notify();
            while (queue.length >= workers * 2 && !failure) await new Promise<void>((r) => (space = r));
          }
        } catch (error) {
          failure ??= error;
          controller.abort(error);
        } finally {
          running--;
          notify();
        }
      })();
    });
    while (running > 0 || queue.length > 0) {
      if (failure) throw failure;
      const batch = queue.shift();
      if (batch) {
        space?.();
        space = undefined;
        yield columns.length ? batch : columnlessBatch(batch.numRows);
      } else {
        await new Promise<void>((r) => (wake = r));
      }
    }
    if (failure) throw failure;
    for (const client of clients) await client.query('COMMIT');
    completed = true;
  } catch (error) {
    healthy = false;
    throw toSpokeError(error, connector.sourceName, signal);
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (running > 0) {
      healthy = false;
      controller.abort(new SpokeError(ErrorCode.QUERY_CANCELLED, 'scan stopped'));
      space?.();
    }
    // Cancelled connections are discarded: a late CancelRequest must not hit the pool's next query.
    for (const client of clients) client.release(healthy && completed && !signal.aborted ? undefined : true);
    const committed = await coordinator.query('COMMIT').then(
      () => true,
      () => false,
    );
    coordinator.release(committed ? undefined : true);
  }
}
