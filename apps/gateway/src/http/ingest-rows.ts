/**
 * `POST /v1/tables/{source}/{table}/rows` (or `/v1/tables/{source}/{schema}/{table}/rows`):
 * appends rows to a table that takes writes (Lance), as ONE new version.
 *
 * - `content-type: application/vnd.apache.arrow.stream`: an Arrow IPC
 *   stream, read batch by batch from the request and handed to the table's
 *   `insert` — no conversion of values in the gateway.
 * - `content-type: application/json`: `{"rows": [{column: value, …}, …]}`
 *   (or the bare array), run as `INSERT INTO source.table (columns) VALUES
 *   ($1, …), …` — names quoted, every value a bound parameter — so types are
 *   converted exactly as SQL inserts convert them.
 *
 * Answers `{"rows": n, "version": v}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { arrow, ErrorCode, type RecordBatch, type ScalarValue, SpokeError } from '@spoke/core';
import type { QueryEngine } from '@spoke/planner';

/** `{ source, schema?, table }` when `path` is an ingest path. */
export function ingestTarget(path: string): { source: string; schema?: string; table: string } | undefined {
  const m = /^\/v1\/tables\/([^/]+)(?:\/([^/]+))?\/([^/]+)\/rows$/.exec(path);
  if (!m) return undefined;
  const [source, schema, table] = [m[1]!, m[2], m[3]!].map((p) =>
    p === undefined ? undefined : decodeURIComponent(p),
  );
  return { source: source!, ...(schema !== undefined ? { schema } : {}), table: table! };
}

/** Handles one ingest request; `readJson` reads a size-limited JSON body. */
export async function ingestRows(
  req: IncomingMessage,
  res: ServerResponse,
  engine: QueryEngine,
  target: { source: string; schema?: string; table: string },
  signal: AbortSignal,
  readJson: () => Promise<string>,
): Promise<{ rows: number; version?: number | string }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/vnd.apache.arrow.stream') {
    if (!engine.ingest)
      throw new SpokeError(ErrorCode.UNSUPPORTED, 'this gateway does not take row ingestion');
    // A plain async iterable of chunks: arrow's own Node-stream adapter is not needed and trips over IncomingMessage.
    const reader = await arrow.RecordBatchReader.from(chunksOf(req as AsyncIterable<Uint8Array>));
    const written = await engine.ingest(target, batchesFrom(reader as AsyncIterable<RecordBatch>), {
      signal,
    });
    return { rows: written.rows, ...(written.version !== undefined ? { version: written.version } : {}) };
  }
  if (type !== 'application/json') {
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `send rows as application/vnd.apache.arrow.stream or application/json (got "${type || 'no content type'}")`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readJson());
  } catch (error) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `the body is not valid JSON: ${(error as Error).message}`);
  }
  const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown })?.rows;
  if (
    !Array.isArray(rows) ||
    rows.length === 0 ||
    rows.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))
  ) {
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      'expected {"rows": [{"column": value, …}, …]} with at least one row',
    );
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r as object)))];
  const params: ScalarValue[] = [];
  const values = rows.map((r) => {
    const row = r as Record<string, unknown>;
    return `(${columns.map((c) => `$${params.push(jsonValue(row[c], c))}`).join(', ')})`;
  });
  const name = [target.source, target.schema, target.table]
    .filter((p) => p !== undefined)
    .map(quoteIdentifier)
    .join('.');
  const sql = `INSERT INTO ${name} (${columns.map(quoteIdentifier).join(', ')}) VALUES ${values.join(', ')}`;
  const result = await engine.query(sql, { params, signal });
  for await (const _ of result.batches) {
    // An INSERT yields no rows; draining runs it to the end.
  }
  void res;
  return { rows: result.rowsAffected?.() ?? rows.length };
}

function jsonValue(value: unknown, column: string): ScalarValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'number')) return value as number[];
  throw new SpokeError(
    ErrorCode.INVALID_QUERY,
    `column "${column}": only strings, numbers, booleans, null and arrays of numbers can be sent as JSON`,
  );
}

/** A PostgreSQL-quoted identifier: any name is taken as a name. */
function quoteIdentifier(name: string): string {
  if (name.includes('\u0000')) throw new SpokeError(ErrorCode.INVALID_QUERY, 'names cannot contain NUL');
  return `"${name.replaceAll('"', '""')}"`;
}

/** The request body's chunks, as a plain async generator (declared once: see `batchesOf` in `@spoke/core`). */
async function* chunksOf(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) yield chunk;
}

/** The batches an Arrow stream reader decodes. */
async function* batchesFrom(reader: AsyncIterable<RecordBatch>): AsyncGenerator<RecordBatch> {
  for await (const batch of reader) yield batch;
}
