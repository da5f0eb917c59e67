/**
 * The access event: one per read or write a source answers, however it
 * ended. Events describe who touched what and how much — never a value from
 * the rows — so they can be shown to anyone allowed to see the table.
 */

/** Whether rows were read from the source or written to it. */
export type AccessOperation = 'read' | 'write';

/**
 * How the access reached the source: a table `scan`, a pushed-down `sql`
 * sub-query, or a write (`insert`, `delete`, `create_table`, `create_index`,
 * `drop_index`, `vacuum`).
 */
export type AccessMethod =
  | 'scan'
  | 'sql'
  | 'insert'
  | 'delete'
  | 'create_table'
  | 'create_index'
  | 'drop_index'
  | 'vacuum';

/**
 * `ok`; `error` (the source failed: `errorCode` says how); `cancelled` (the
 * query was cancelled or timed out while the source was answering).
 * A consumer that stops reading early (a satisfied LIMIT) is `ok`.
 */
export type AccessOutcome = 'ok' | 'error' | 'cancelled';

/** One source access. Field names are stable: sinks and external tools parse them. */
export interface AccessEvent {
  readonly type: 'access';
  /** When the access ended, ISO 8601 UTC. */
  readonly time: string;
  /** When the access started (first request to the source), ISO 8601 UTC. */
  readonly startedAt: string;
  /** The query's id (as in the audit log and `GET /v1/queries`); null for work outside a query. */
  readonly queryId: string | null;
  readonly user: string | null;
  /** The source's name in the config (`sources.NAME`). */
  readonly source: string;
  /** `schema.table` when the access is about one table; null for a pushed-down sub-query over several (see `tables`). */
  readonly table: string | null;
  /** Every table the access touched, `schema.table`; empty when the source's SQL names none Spoke knows. */
  readonly tables: readonly string[];
  readonly operation: AccessOperation;
  readonly method: AccessMethod;
  /** Rows read or written. */
  readonly rows: number;
  /** Arrow bytes read (0 for writes, whose size the source reports as rows only). */
  readonly bytes: number;
  readonly durationMs: number;
  readonly outcome: AccessOutcome;
  /** The SpokeError code when the outcome is not `ok` (`SOURCE_UNAVAILABLE`, `QUERY_CANCELLED`…). */
  readonly errorCode: string | null;
  /** The error's message when the outcome is `error` (the source's message, never row values). */
  readonly error: string | null;
}

/** An access still under way, as the live feed and progress see it. */
export interface ActiveAccess {
  readonly id: number;
  readonly queryId: string | null;
  readonly user: string | null;
  readonly source: string;
  readonly tables: readonly string[];
  readonly operation: AccessOperation;
  readonly method: AccessMethod;
  readonly started: number;
  rows: number;
  bytes: number;
  /** The source's estimate of the rows this access returns, once known (scans only; see scan-estimates.ts). */
  estimatedRows: number | null;
}
