/**
 * The `spoke.sources` system table: the per-source health, freshness and
 * access counters of `GET /v1/sources` as SQL (`SELECT * FROM spoke.sources`),
 * through every front end — HTTP, the Postgres wire, Flight SQL.
 *
 * It is served as a source of its own named `spoke` (schema `system`, the
 * default), added beside the configured ones by the source meter — unless a
 * configured source already has that name. Its rows come from the gateway's
 * health monitor, built for the user asking by the same code and rules as
 * `/v1/sources` (source-status.ts), so security policies apply to it (a
 * `deny` on `spoke.sources` hides it like any table). It is not probed, does
 * not appear on the map and its reads are not access events.
 */
import {
  arrow,
  type DataType,
  ErrorCode,
  type Field,
  type QueryContext,
  type RecordBatch,
  type ScanRequest,
  type Schema,
  type SpokeCatalog,
  type SpokeConnector,
  SpokeError,
  type SpokeTable,
  throwIfAborted,
  type Vector,
} from '@spoke/core';
import type { SourceStatus } from './source-status.js';

/** The source name the system table lives under. */
export const SYSTEM_SOURCE = 'spoke';
/** Its schema. */
export const SYSTEM_SCHEMA = 'system';

/** What the table reads its rows from: set once the gateway's services exist. */
export interface SourcesView {
  /** Every source `context`'s user may see, with its status as they may see it. */
  sources(context: QueryContext, signal: AbortSignal): Promise<readonly SourceStatus[]>;
}

type Value = string | number | bigint | boolean | null;

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
const count = (n: number): bigint => BigInt(Math.round(n));

/** The columns, in order: name, Arrow type, and how to read it off a status. */
const COLUMNS: readonly (readonly [string, () => DataType, (s: SourceStatus) => Value])[] = [
  ['name', () => new arrow.Utf8(), (s) => s.name],
  ['state', () => new arrow.Utf8(), (s) => s.state],
  ['reason', () => new arrow.Utf8(), (s) => s.reason],
  ['latency_ms', () => new arrow.Int32(), (s) => s.latencyMs],
  ['last_probe', timestamp, (s) => time(s.lastProbe)],
  ['last_success', timestamp, (s) => time(s.lastSuccess)],
  ['last_error_at', timestamp, (s) => time(s.lastError?.time ?? null)],
  ['last_error_code', () => new arrow.Utf8(), (s) => s.lastError?.code ?? null],
  ['last_error', () => new arrow.Utf8(), (s) => s.lastError?.message ?? null],
  ['last_modified', timestamp, (s) => time(s.freshness.lastModified)],
  [
    'freshness',
    () => new arrow.Utf8(),
    (s) => (s.freshness.state === 'unknown' ? 'unknown' : s.freshness.exact ? 'exact' : 'estimated'),
  ],
  ['freshness_method', () => new arrow.Utf8(), (s) => s.freshness.method],
  ['freshness_checked_at', timestamp, (s) => time(s.freshness.checkedAt)],
  ['reads', () => new arrow.Int64(), (s) => count(s.counters.reads)],
  ['writes', () => new arrow.Int64(), (s) => count(s.counters.writes)],
  ['rows_read', () => new arrow.Int64(), (s) => count(s.counters.rows)],
  ['bytes_read', () => new arrow.Int64(), (s) => count(s.counters.bytes)],
  ['errors', () => new arrow.Int64(), (s) => count(s.counters.errors)],
  ['last_access', timestamp, (s) => time(s.lastAccess)],
  ['rows_per_second', () => new arrow.Float64(), (s) => s.activity.rowsPerSecond],
  ['active_reads', () => new arrow.Int32(), (s) => s.activity.active],
];

function timestamp(): DataType {
  return new arrow.TimestampMicrosecond('UTC');
}

const SCHEMA: Schema = new arrow.Schema(COLUMNS.map(([name, type]) => new arrow.Field(name, type(), true)));

/** A batch of `rows` rows with no columns (an empty projection: `count(*)`). */
function rowCountBatch(rows: number): RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct([]), length: rows, nullCount: 0, children: [] });
  const batch = new arrow.RecordBatch(new arrow.Schema([]), data);
  // The constructor recounts the rows from the (absent) children: put the real length back.
  (batch as unknown as { data: typeof data }).data = data;
  return batch;
}

/** The `sources` table. */
class SourcesTable implements SpokeTable {
  readonly name = 'sources';

  constructor(readonly view: () => SourcesView | undefined) {}

  async schema(): Promise<Schema> {
    return SCHEMA;
  }

  async *scan(request: ScanRequest): AsyncGenerator<RecordBatch> {
    throwIfAborted(request.signal);
    const shown = this.view();
    if (!shown)
      throw new SpokeError(
        ErrorCode.UNSUPPORTED,
        `${SYSTEM_SOURCE}.sources is kept by a running gateway (spoke serve): this one does not probe its sources`,
        { details: { sqlstate: '0A000' } },
      );
    const statuses = await shown.sources(request.context, request.signal);
    if (request.projection.length === 0) {
      yield rowCountBatch(statuses.length);
      return;
    }
    const fields: Field[] = [];
    const vectors: Vector[] = [];
    for (const name of request.projection) {
      const column = COLUMNS.find(([n]) => n === name);
      if (!column)
        throw new SpokeError(
          ErrorCode.COLUMN_NOT_FOUND,
          `column "${name}" is not in ${SYSTEM_SOURCE}.sources`,
        );
      const field = SCHEMA.fields.find((f) => f.name === name)!;
      fields.push(field);
      vectors.push(arrow.vectorFromArray(statuses.map(column[2]), field.type));
    }
    const schema = new arrow.Schema(fields);
    const data = arrow.makeData({
      type: new arrow.Struct(fields),
      length: statuses.length,
      nullCount: 0,
      children: vectors.map((v) => v.data[0]!),
    });
    yield new arrow.RecordBatch(schema, data);
  }
}

/** The catalog of the system source: one schema, one table. */
class SystemCatalog implements SpokeCatalog {
  readonly defaultSchema = SYSTEM_SCHEMA;
  readonly #table: SourcesTable;

  constructor(view: () => SourcesView | undefined) {
    this.#table = new SourcesTable(view);
  }

  async listSchemas(): Promise<readonly string[]> {
    return [SYSTEM_SCHEMA];
  }

  async listTables(schema: string): Promise<readonly string[]> {
    if (schema !== SYSTEM_SCHEMA)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `schema "${schema}" does not exist`);
    return [this.#table.name];
  }

  async getTable(schema: string, table: string): Promise<SpokeTable | undefined> {
    return schema === SYSTEM_SCHEMA && table === this.#table.name ? this.#table : undefined;
  }
}

/** The `spoke` source; `view` is read at each scan (it is set after the engine is built). */
export function systemSource(view: () => SourcesView | undefined): SpokeConnector {
  return {
    specificationVersion: 'v1',
    catalog: new SystemCatalog(view),
    async close() {},
  };
}
