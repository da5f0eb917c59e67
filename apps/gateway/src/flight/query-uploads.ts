/**
 * Relations a peer gateway uploads for one query (Flight `DoPut` with a
 * temporary `CommandStatementIngest`): the small side of a join the peer's
 * optimizer chose to run here, so that only the join's answer goes back.
 *
 * They live in the source {@link UPLOAD_SOURCE} (`spoke_upload.<name>` in
 * the peer's SQL), which lists nothing: an uploaded relation is found only
 * by its name (chosen by the uploader, random per query) and read only by
 * the user who uploaded it. Each is dropped when the uploader says so
 * (`spoke.drop-upload`, sent when its query ends however it ends), or after
 * `idleMs` without a read — which covers an uploader that went away. Every
 * policy of this gateway still holds for its own tables joined with them.
 */
import {
  ErrorCode,
  type RecordBatch,
  type ScanRequest,
  type Schema,
  type SpokeCatalog,
  type SpokeConnector,
  SpokeError,
  type SpokeTable,
  type Table,
} from '@spoke/core';
import { BaseConnector, BaseTable, columnlessBatch } from '@spoke/sdk';

/** The source uploaded relations are read from (a reserved source name). */
export const UPLOAD_SOURCE = 'spoke_upload';

/** What a relation's name may be: a plain identifier (it is named in SQL). */
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Limits of {@link QueryUploads}. */
export interface QueryUploadLimits {
  /** Arrow bytes held at most across every upload (default 256 MiB). */
  readonly maxBytes?: number;
  /** Milliseconds an upload is kept without being read (default 60 s). */
  readonly idleMs?: number;
}

interface Upload {
  readonly name: string;
  readonly owner: string | undefined;
  readonly table: Table;
  readonly bytes: number;
  lastUsed: number;
  /** Scans reading it now: it does not expire under them. */
  readers: number;
}

/** The uploaded relations of one gateway, and the source that reads them. */
export class QueryUploads {
  readonly #uploads = new Map<string, Upload>();
  readonly #maxBytes: number;
  readonly #idleMs: number;
  #heldBytes = 0;
  readonly #sweeper: NodeJS.Timeout;
  /** The `spoke_upload` source, to add to the engine's sources. */
  readonly connector: SpokeConnector;

  constructor(limits: QueryUploadLimits = {}) {
    this.#maxBytes = limits.maxBytes ?? 256 * 1024 * 1024;
    this.#idleMs = limits.idleMs ?? 60_000;
    this.#sweeper = setInterval(() => this.#expire(), Math.min(this.#idleMs, 5_000));
    this.#sweeper.unref();
    this.connector = new UploadSource(this);
  }

  /** Bytes held now (for metrics and tests). */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Names held now. */
  names(): string[] {
    return [...this.#uploads.keys()];
  }

  /**
   * Checks a relation's name before its rows are read (so a refused upload
   * is refused at once): a plain identifier, not taken.
   */
  checkName(name: string): void {
    if (!NAME.test(name))
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        `an uploaded relation's name must be an identifier of letters, digits and _ (got ${JSON.stringify(name.slice(0, 80))})`,
      );
    if (this.#uploads.has(name))
      throw new SpokeError(ErrorCode.INVALID_QUERY, `an uploaded relation named ${name} already exists`);
  }

  /** Room for `bytes` more, or a RESOURCE_EXHAUSTED error naming the limit. */
  checkRoom(bytes: number): void {
    if (this.#heldBytes + bytes > this.#maxBytes)
      throw new SpokeError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `uploads would hold ${this.#heldBytes + bytes} bytes, over this gateway's limit of ${this.#maxBytes}`,
      );
  }

  /** Keeps `table` as `name` for `owner`. */
  add(name: string, owner: string | undefined, table: Table, bytes: number): void {
    this.checkName(name);
    this.checkRoom(bytes);
    this.#uploads.set(name, { name, owner, table, bytes, lastUsed: Date.now(), readers: 0 });
    this.#heldBytes += bytes;
  }

  /** Drops `name` if `owner` uploaded it; false when there is no such upload of theirs. */
  drop(name: string, owner: string | undefined): boolean {
    const upload = this.#uploads.get(name);
    if (!upload || upload.owner !== owner) return false;
    this.#remove(upload);
    return true;
  }

  /** The upload `name` as `user` may read it. */
  readable(name: string, user: string | undefined): Upload | undefined {
    const upload = this.#uploads.get(name);
    return upload && upload.owner === user ? upload : undefined;
  }

  /** The upload `name`, whoever owns it (the catalog: the owner is checked when it is read). */
  get(name: string): Upload | undefined {
    return this.#uploads.get(name);
  }

  /** Stops the sweeper and drops everything. */
  close(): void {
    clearInterval(this.#sweeper);
    for (const upload of [...this.#uploads.values()]) this.#remove(upload);
  }

  #remove(upload: Upload): void {
    if (this.#uploads.get(upload.name) !== upload) return;
    this.#uploads.delete(upload.name);
    this.#heldBytes -= upload.bytes;
  }

  #expire(): void {
    const now = Date.now();
    for (const upload of [...this.#uploads.values()])
      if (upload.readers === 0 && now - upload.lastUsed > this.#idleMs) this.#remove(upload);
  }
}

/** The `spoke_upload` source: one schema, nothing listed, tables found by name. */
class UploadSource extends BaseConnector {
  readonly catalog: SpokeCatalog;

  constructor(uploads: QueryUploads) {
    super();
    this.catalog = {
      defaultSchema: 'main',
      // Nothing is listed: an upload is found only by the name its uploader chose.
      listSchemas: async () => [],
      listTables: async () => [],
      getTable: async (schema: string, name: string): Promise<SpokeTable | undefined> =>
        schema === 'main' && uploads.get(name) ? new UploadedTable(name, uploads) : undefined,
    };
  }
}

/** One uploaded relation as a table: its rows, for the user who uploaded them. */
class UploadedTable extends BaseTable {
  constructor(
    name: string,
    readonly uploads: QueryUploads,
  ) {
    super(name);
  }

  async schema(): Promise<Schema> {
    const upload = this.uploads.get(this.name);
    if (!upload) throw gone(this.name);
    return upload.table.schema;
  }

  async *scan(request: ScanRequest): AsyncIterable<RecordBatch> {
    const upload = this.uploads.readable(this.name, request.context.user);
    if (!upload) throw gone(this.name);
    upload.readers++;
    try {
      for (const batch of upload.table.batches) {
        if (request.signal.aborted) throw SpokeError.cancelled(request.signal);
        yield request.projection.length === 0
          ? columnlessBatch(batch.numRows)
          : (batch.select(request.projection as string[]) as RecordBatch);
      }
    } finally {
      upload.readers--;
      upload.lastUsed = Date.now();
    }
  }
}

function gone(name: string): SpokeError {
  return new SpokeError(ErrorCode.TABLE_NOT_FOUND, `table "${UPLOAD_SOURCE}.${name}" does not exist`, {
    source: UPLOAD_SOURCE,
  });
}

const UPLOADS = Symbol.for('spoke.queryUploads');

/** Records the uploads an engine's `spoke_upload` source reads (the Flight server finds them there). */
export function attachUploads(engine: object, uploads: QueryUploads): void {
  Object.defineProperty(engine, UPLOADS, { value: uploads, enumerable: false });
}

/** The uploads attached to `engine`, if it has a `spoke_upload` source. */
export function uploadsOf(engine: object): QueryUploads | undefined {
  return (engine as { [UPLOADS]?: QueryUploads })[UPLOADS];
}
