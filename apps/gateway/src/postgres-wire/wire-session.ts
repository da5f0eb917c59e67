/**
 * One client connection's protocol state machine: the simple query protocol,
 * the extended protocol (Parse/Bind/Describe/Execute/Sync/Close/Flush), row
 * streaming with socket backpressure, transaction status and cancellation.
 *
 * pg-gateway frames the messages, answers SSLRequest and parses the startup
 * packet ({@link ./spoke-connection.ts}); everything after the startup packet
 * is queued here and handled strictly in order, one message at a time.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { RecordBatch, ScalarValue, Schema } from '@spoke/core';
import { abortReason, arrow, ErrorCode, noBatches, SpokeError } from '@spoke/core';
import type { QueryEngine, QueryResult } from '@spoke/planner';
import { Session } from '@spoke/planner';
import { decodeParameters } from './bind-parameters.js';
import { ByteBuffer } from './byte-buffer.js';
import { binaryWriter, type ColumnData, type FieldWriter, textWriter } from './column-encoders.js';
import { CopyEncoder, type CopyRequest, parseCopy } from './copy-out.js';
import { parseClose, parseDeclare, parseFetch } from './cursor-statements.js';
import { type ErrorFields, errorFields } from './error-response.js';
import { inferParameterTypes } from './infer-parameter-types.js';
import { type PgColumnType, pgTypeOfField } from './pg-types.js';
import { leadingKeyword, splitStatements, statementShape } from './split-statements.js';

/** Statements that return rows, so Describe may start them to learn their columns. */
const ROW_RETURNING = new Set(['select', 'with', 'values', 'table', 'show', 'explain', 'fetch']);

/** Parameters reported to the client at startup and whenever a statement changes them (PostgreSQL's GUC_REPORT set). */
const REPORTED_PARAMETERS: readonly (readonly [display: string, key: string, fallback: string])[] = [
  ['application_name', 'application_name', ''],
  ['client_encoding', 'client_encoding', 'UTF8'],
  ['DateStyle', 'datestyle', 'ISO, MDY'],
  ['default_transaction_read_only', 'default_transaction_read_only', 'off'],
  ['in_hot_standby', 'in_hot_standby', 'off'],
  ['integer_datetimes', 'integer_datetimes', 'on'],
  ['IntervalStyle', 'intervalstyle', 'postgres'],
  ['is_superuser', 'is_superuser', 'off'],
  ['server_encoding', 'server_encoding', 'UTF8'],
  ['server_version', 'server_version', '15.0'],
  ['session_authorization', 'session_authorization', ''],
  ['standard_conforming_strings', 'standard_conforming_strings', 'on'],
  ['TimeZone', 'timezone', 'UTC'],
];

/** Flush to the socket once this much output is pending, so big results stream instead of piling up. */
const FLUSH_THRESHOLD = 64 * 1024;

interface PreparedStatement {
  readonly sql: string;
  /** Declared (Parse) or assumed types of `$1…$n`; 0 = unspecified, until Describe infers them. */
  paramOids: readonly number[];
  /** A parameterless row-returning statement started by Describe, kept for the first Execute. */
  described?: RunningQuery | undefined;
}

/** A started statement whose rows have not all been sent. */
interface RunningQuery {
  readonly controller: AbortController;
  readonly result: QueryResult;
  readonly columns: readonly PgColumnType[];
  iterator?: AsyncIterator<RecordBatch> | undefined;
  /** A batch partly sent by an Execute with a row limit. */
  pending?:
    | { readonly batch: RecordBatch; readonly writers: readonly FieldWriter[]; next: number }
    | undefined;
  rows: number;
  /** Set for COPY … TO STDOUT: the rows go out as CopyData, not DataRows. */
  copy?: CopyRequest | undefined;
}

/** A cursor opened with DECLARE (psycopg's named cursors): its rows are read with FETCH. */
interface Cursor {
  readonly running: RunningQuery;
  /** WITH HOLD: kept after its transaction ends. */
  readonly hold: boolean;
  /** A batch partly fetched, and the first row not yet fetched. */
  rest?: { readonly batch: RecordBatch; readonly next: number } | undefined;
  done: boolean;
}

interface Portal {
  readonly statement: PreparedStatement;
  readonly params: readonly ScalarValue[];
  readonly resultFormats: readonly number[];
  running?: RunningQuery | undefined;
  /** Whether Describe sent a RowDescription (then Execute must not). */
  described: boolean;
  /** Set once the rows are exhausted: a further Execute answers with the same tag and no rows. */
  completedTag?: string;
}

/** What the server hands each session. */
export interface WireSessionOptions {
  readonly engine: QueryEngine;
  readonly socket: Socket;
  readonly processId: number;
  readonly secretKey: number;
  readonly log: (message: string) => void;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A frontend message that cannot be read (bad text encoding, missing terminator): answered with an error, not a crash. */
class MalformedMessage extends SpokeError {
  constructor(message: string, sqlstate: string) {
    super(ErrorCode.INVALID_QUERY, message, { details: { sqlstate } });
  }
}

/** Reads the fields of one frontend message. */
class MessageReader {
  private offset: number;
  constructor(private readonly data: Buffer) {
    this.offset = 5;
  }
  byte(): number {
    return this.data[this.offset++]!;
  }
  int16(): number {
    const value = this.data.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  cstring(): string {
    const end = this.data.indexOf(0, this.offset);
    if (end < 0) throw new MalformedMessage('a string in the message is not NUL-terminated', '08P01');
    let value: string;
    try {
      value = UTF8.decode(this.data.subarray(this.offset, end));
    } catch {
      // As PostgreSQL: text that is not UTF-8 is refused, not silently replaced with U+FFFD.
      throw new MalformedMessage('invalid byte sequence for encoding "UTF8"', '22021');
    }
    this.offset = end + 1;
    return value;
  }
  bytes(n: number): Buffer {
    const value = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return value;
  }
}

/** The protocol state of one connection after startup. */
export class WireSession {
  /** The engine session: settings and transaction state. */
  readonly session = new Session();
  private readonly out = new ByteBuffer();
  private readonly queue: Buffer[] = [];
  /** Placeholders queued by {@link refuse}, with the error each is answered with. */
  private readonly refused = new WeakMap<Buffer, MalformedMessage>();
  private processing = false;
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly cursors = new Map<string, Cursor>();
  /** After an error in the extended protocol, messages are skipped until Sync. */
  private skipUntilSync = false;
  /** An error inside an explicit transaction block: only ROLLBACK/COMMIT are accepted until it ends. */
  private failedTransaction = false;
  /** The running statement's controller, aborted by a CancelRequest or a closed socket. */
  private current: AbortController | undefined;
  private closed = false;
  private user = '';

  constructor(private readonly options: WireSessionOptions) {
    // pg_backend_pid() answers the id this client was given (its CancelRequest names it too).
    this.session.backendPid = options.processId;
    options.socket.on('close', () => this.close());
  }

  /** Applies the startup packet and greets the client: AuthenticationOk, ParameterStatus, BackendKeyData, ReadyForQuery. */
  start(parameters: Readonly<Record<string, string>>): void {
    this.user = parameters.user ?? '';
    const settings = this.session.settings;
    settings.set('session_authorization', this.user);
    for (const [name, value] of Object.entries(parameters)) {
      if (['user', 'database', 'replication', 'options'].includes(name)) continue;
      settings.set(name.toLowerCase(), value);
    }
    // `options=-c search_path=x --statement_timeout=5s` (libpq's PGOPTIONS).
    for (const match of (parameters.options ?? '').matchAll(/(?:-c\s*|--)([\w.]+)=((?:\\ |\S)+)/g)) {
      settings.set(match[1]!.toLowerCase().replace(/-/g, '_'), match[2]!.replace(/\\ /g, ' '));
    }
    const out = this.out;
    const auth = out.beginMessage(0x52); // 'R' AuthenticationOk
    out.int32(0);
    out.endMessage(auth);
    this.reportedValues().forEach((value, i) => this.parameterStatus(REPORTED_PARAMETERS[i]![0], value));
    const key = out.beginMessage(0x4b); // 'K' BackendKeyData
    out.int32(this.options.processId);
    out.int32(this.options.secretKey);
    out.endMessage(key);
    this.readyForQuery();
    void this.flush();
  }

  /** Queues one frontend message. */
  receive(message: Buffer): void {
    if (this.closed) return;
    this.queue.push(message);
    if (!this.processing) void this.drain();
  }

  /**
   * Queues the refusal of a Query or Parse message the connection dropped
   * unread (its statement is over limits.max_query_bytes): answered in turn,
   * like a message that cannot be read — the statement's error, then
   * ReadyForQuery (Query) or skipping to Sync (Parse).
   */
  refuse(type: number, error: SpokeError): void {
    const placeholder = Buffer.from([type, 0, 0, 0, 4]);
    this.refused.set(placeholder, new MalformedMessage(error.message, '54000'));
    this.receive(placeholder);
  }

  /** Aborts the running statement: a CancelRequest with this session's key arrived. */
  cancel(): void {
    this.current?.abort(SpokeError.cancelled());
  }

  /** Ends the session: aborts what runs and releases portals. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.current?.abort(new SpokeError(ErrorCode.QUERY_CANCELLED, 'client disconnected'));
    for (const portal of this.portals.values()) this.release(portal.running);
    for (const statement of this.statements.values()) this.release(statement.described);
    this.closeCursors(true);
    this.portals.clear();
    this.statements.clear();
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        const message = this.queue.shift()!;
        try {
          await this.handle(message);
        } catch (error) {
          // A bug in the protocol handling: tell the client, keep the connection usable.
          this.options.log(
            `postgres-wire: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          this.errorResponse(
            errorFields(new SpokeError(ErrorCode.INTERNAL, String((error as Error)?.message ?? error))),
          );
          this.readyForQuery();
        }
      }
      await this.flush();
    } catch {
      // The socket went away while flushing; 'close' cleans up.
    } finally {
      this.processing = false;
    }
  }

  private async handle(message: Buffer): Promise<void> {
    const type = message[0]!;
    const reader = new MessageReader(message);
    if (this.skipUntilSync && type !== 0x53 && type !== 0x58) return;
    try {
      const refusal = this.refused.get(message);
      if (refusal) throw refusal;
      return await this.dispatch(type, reader);
    } catch (error) {
      if (!(error instanceof MalformedMessage)) throw error;
      if (type !== 0x51) return this.extendedError(error);
      this.fail(error);
      this.readyForQuery();
      return this.flush();
    }
  }

  private async dispatch(type: number, reader: MessageReader): Promise<void> {
    switch (type) {
      case 0x51: // 'Q'
        return this.simpleQuery(reader.cstring());
      case 0x50: // 'P'
        return this.parse(reader);
      case 0x42: // 'B'
        return this.bind(reader);
      case 0x44: // 'D'
        return this.describe(reader);
      case 0x45: // 'E'
        return this.execute(reader);
      case 0x43: // 'C'
        return this.closeMessage(reader);
      case 0x53: // 'S' Sync
        this.skipUntilSync = false;
        if (this.session.transaction === 'idle') this.releasePortals();
        this.readyForQuery();
        return this.flush();
      case 0x48: // 'H' Flush
        return this.flush();
      case 0x58: // 'X' Terminate
        this.close();
        this.options.socket.end();
        return;
      default:
        return this.extendedError(
          new SpokeError(
            ErrorCode.UNSUPPORTED,
            `unsupported frontend message type "${String.fromCharCode(type)}"`,
            {
              details: { sqlstate: '08P01' },
            },
          ),
        );
    }
  }

  // ── simple query protocol ────────────────────────────────────────────────

  private async simpleQuery(sql: string): Promise<void> {
    const statements = splitStatements(sql);
    if (statements.length === 0) {
      this.message(0x49); // 'I' EmptyQueryResponse
    }
    for (const statement of statements) {
      try {
        const running = await this.run(statement, []);
        if (running.copy) {
          await this.sendCopy(running);
          this.commandComplete(`COPY ${running.rows}`);
          continue;
        }
        if (running.columns.length > 0) this.rowDescription(running.result.schema, running.columns, []);
        const outcome = await this.sendRows(running, 0, []);
        if (outcome !== 'done') throw new SpokeError(ErrorCode.INTERNAL, 'unexpected portal suspension');
        this.commandComplete(this.tag(running));
      } catch (error) {
        this.fail(error);
        break;
      } finally {
        this.current = undefined;
      }
    }
    this.readyForQuery();
    await this.flush();
  }

  // ── extended query protocol ──────────────────────────────────────────────

  private parse(reader: MessageReader): void {
    const name = reader.cstring();
    const sql = reader.cstring();
    const declared = Array.from({ length: reader.int16() }, () => reader.int32());
    // PostgreSQL's built-in types have OIDs below 16384; Spoke has no others, so a higher one names nothing.
    const unknownType = declared.find((oid) => oid >= 16384 || oid < 0);
    if (unknownType !== undefined) {
      return this.extendedError(
        new SpokeError(ErrorCode.INVALID_QUERY, `type with OID ${unknownType >>> 0} does not exist`, {
          details: { sqlstate: '42704' },
        }),
      );
    }
    const shape = statementShape(sql);
    if (shape.statements > 1) {
      return this.extendedError(
        new SpokeError(ErrorCode.SYNTAX_ERROR, 'cannot insert multiple commands into a prepared statement'),
      );
    }
    if (name !== '' && this.statements.has(name)) {
      return this.extendedError(
        new SpokeError(ErrorCode.INVALID_QUERY, `prepared statement "${name}" already exists`, {
          details: { sqlstate: '42P05' },
        }),
      );
    }
    const count = Math.max(shape.parameters, declared.length);
    const paramOids = Array.from({ length: count }, (_, i) => declared[i] ?? 0);
    this.release(this.statements.get(name)?.described);
    this.statements.set(name, { sql, paramOids });
    this.message(0x31); // '1' ParseComplete
  }

  private bind(reader: MessageReader): void {
    const portalName = reader.cstring();
    const statementName = reader.cstring();
    const formats = Array.from({ length: reader.int16() }, () => reader.int16());
    const raw = Array.from({ length: reader.int16() }, () => {
      const length = reader.int32();
      return length < 0 ? null : reader.bytes(length);
    });
    const resultFormats = Array.from({ length: reader.int16() }, () => reader.int16());
    const statement = this.statements.get(statementName);
    if (!statement) {
      return this.extendedError(
        new SpokeError(ErrorCode.INVALID_QUERY, `prepared statement "${statementName}" does not exist`, {
          details: { sqlstate: '26000' },
        }),
      );
    }
    if (raw.length !== statement.paramOids.length) {
      return this.extendedError(
        new SpokeError(
          ErrorCode.INVALID_QUERY,
          `bind message supplies ${raw.length} parameters, but prepared statement "${statementName}" requires ${statement.paramOids.length}`,
          { details: { sqlstate: '08P01' } },
        ),
      );
    }
    let params: ScalarValue[];
    try {
      params = decodeParameters(raw, formats, statement.paramOids);
    } catch (error) {
      return this.extendedError(error);
    }
    this.release(this.portals.get(portalName)?.running);
    const portal: Portal = { statement, params, resultFormats, described: false };
    // A parameterless statement already started by Describe Statement is not run a second time.
    if (params.length === 0 && statement.described) {
      portal.running = statement.described;
      statement.described = undefined;
    }
    this.portals.set(portalName, portal);
    this.message(0x32); // '2' BindComplete
  }

  private async describe(reader: MessageReader): Promise<void> {
    const kind = reader.byte();
    const name = reader.cstring();
    try {
      if (kind === 0x53) {
        // 'S': parameter types, then the columns. Starting the statement (with NULL
        // parameters) is the only way to learn its columns; the started query is kept
        // for a parameterless statement's first Execute, so it is not run twice.
        const statement = this.statements.get(name);
        if (!statement) {
          throw new SpokeError(ErrorCode.INVALID_QUERY, `prepared statement "${name}" does not exist`, {
            details: { sqlstate: '26000' },
          });
        }
        if (statement.paramOids.includes(0)) {
          // Inferred as PostgreSQL does (`id = $1` → the column's type); the Bind that follows is read with them.
          const controller = new AbortController();
          this.current = controller;
          statement.paramOids = await inferParameterTypes(
            statement.sql,
            statement.paramOids,
            this.options.engine,
            controller.signal,
          );
          this.current = undefined;
        }
        const out = this.out;
        const at = out.beginMessage(0x74); // 't' ParameterDescription
        out.int16(statement.paramOids.length);
        for (const oid of statement.paramOids) out.int32(oid);
        out.endMessage(at);
        if (!ROW_RETURNING.has(leadingKeyword(statement.sql))) return this.message(0x6e); // 'n' NoData
        if (leadingKeyword(statement.sql) === 'fetch') {
          // Running a FETCH to learn its columns would consume the cursor's rows: its columns are the cursor's.
          const { running } = this.cursor(parseFetch(statement.sql).name);
          return this.rowDescription(running.result.schema, running.columns, []);
        }
        this.release(statement.described);
        statement.described = undefined;
        const running = await this.run(
          statement.sql,
          statement.paramOids.map(() => null),
        );
        this.current = undefined;
        this.rowDescription(running.result.schema, running.columns, []);
        if (statement.paramOids.length === 0) statement.described = running;
        else this.release(running);
        return;
      }
      const portal = this.portals.get(name);
      const cursor = portal ? undefined : this.cursors.get(name);
      if (cursor) {
        // A DECLAREd cursor is a portal too (psycopg 3 describes it by name).
        return this.rowDescription(cursor.running.result.schema, cursor.running.columns, []);
      }
      if (!portal) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, `portal "${name}" does not exist`, {
          details: { sqlstate: '34000' },
        });
      }
      if (!portal.running && ROW_RETURNING.has(leadingKeyword(portal.statement.sql))) {
        // Describe Portal starts the statement: its schema is known before any row is
        // read, and Execute then streams the same result (no second run, no buffering).
        portal.running = await this.run(portal.statement.sql, portal.params);
        this.current = undefined;
      }
      if (portal.running && portal.running.columns.length > 0) {
        this.rowDescription(portal.running.result.schema, portal.running.columns, portal.resultFormats);
        portal.described = true;
      } else {
        this.message(0x6e); // 'n' NoData
      }
    } catch (error) {
      this.current = undefined;
      this.extendedError(error);
    }
  }

  private async execute(reader: MessageReader): Promise<void> {
    const name = reader.cstring();
    const maxRows = reader.int32();
    const portal = this.portals.get(name);
    try {
      if (!portal) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, `portal "${name}" does not exist`, {
          details: { sqlstate: '34000' },
        });
      }
      if (portal.completedTag !== undefined) return this.commandComplete(portal.completedTag);
      if (!portal.running) portal.running = await this.run(portal.statement.sql, portal.params);
      else this.current = portal.running.controller;
      const running = portal.running;
      if (running.copy) {
        await this.sendCopy(running);
        portal.completedTag = `COPY ${running.rows}`;
        portal.running = undefined;
        return this.commandComplete(portal.completedTag);
      }
      const outcome = await this.sendRows(running, maxRows > 0 ? maxRows : 0, portal.resultFormats);
      if (outcome === 'suspended') return this.message(0x73); // 's' PortalSuspended
      portal.completedTag = this.tag(running);
      portal.running = undefined;
      this.commandComplete(portal.completedTag);
    } catch (error) {
      if (portal) {
        this.release(portal.running);
        portal.running = undefined;
      }
      this.extendedError(error);
    } finally {
      this.current = undefined;
    }
  }

  private closeMessage(reader: MessageReader): void {
    const kind = reader.byte();
    const name = reader.cstring();
    if (kind === 0x53) {
      this.release(this.statements.get(name)?.described);
      this.statements.delete(name);
    } else {
      this.release(this.portals.get(name)?.running);
      this.portals.delete(name);
    }
    this.message(0x33); // '3' CloseComplete
  }

  private extendedError(error: unknown): void {
    this.fail(error);
    this.skipUntilSync = true;
  }

  // ── running statements ───────────────────────────────────────────────────

  /** Starts one statement in the engine (schema known, rows not yet read). */
  private async run(sql: string, params: readonly ScalarValue[]): Promise<RunningQuery> {
    const keyword = leadingKeyword(sql);
    if (this.failedTransaction && !['rollback', 'abort', 'commit', 'end'].includes(keyword)) {
      throw new SpokeError(
        ErrorCode.INVALID_QUERY,
        'current transaction is aborted, commands ignored until end of transaction block',
        { details: { sqlstate: '25P02' } },
      );
    }
    if (keyword === 'declare') return this.declare(sql, params);
    if (keyword === 'fetch' || keyword === 'move') return this.fetch(sql);
    if (keyword === 'close') return this.closeCursor(sql);
    if (keyword === 'copy') {
      const request = await parseCopy(sql);
      const running = await this.run(request.query, params);
      running.copy = request;
      return running;
    }
    const before = this.reportedValues();
    const controller = new AbortController();
    this.current = controller;
    // COMMIT of a failed transaction rolls it back, as in PostgreSQL.
    const text = this.failedTransaction && (keyword === 'commit' || keyword === 'end') ? 'ROLLBACK' : sql;
    const result = await this.options.engine.query(text, {
      session: this.session,
      signal: controller.signal,
      // The statement's own controller: the layers below abort it rather than make their own.
      controller,
      context: { user: this.user },
      ...(params.length > 0 ? { params } : {}),
    });
    if (this.session.transaction === 'idle') {
      this.failedTransaction = false;
      // Cursors without HOLD end with their transaction.
      this.closeCursors(false);
    }
    const after = this.reportedValues();
    after.forEach((value, i) => {
      if (before[i] !== value) this.parameterStatus(REPORTED_PARAMETERS[i]![0], value);
    });
    return {
      controller,
      result,
      columns: result.schema.fields.map((field) => pgTypeOfField(field)),
      rows: 0,
    };
  }

  // ── cursors and COPY ─────────────────────────────────────────────────────

  /** A result made here, without the engine (DECLARE, CLOSE, MOVE). */
  private commandOnly(command: string, rows = 0): RunningQuery {
    return {
      controller: new AbortController(),
      result: {
        command,
        schema: new arrow.Schema([]),
        batches: noBatches(),
        rowsAffected: () => rows,
      },
      columns: [],
      rows: 0,
    };
  }

  private cursor(name: string): Cursor {
    const cursor = this.cursors.get(name);
    if (!cursor) {
      throw new SpokeError(ErrorCode.INVALID_QUERY, `cursor "${name}" does not exist`, {
        details: { sqlstate: '34000' },
      });
    }
    return cursor;
  }

  private async declare(sql: string, params: readonly ScalarValue[]): Promise<RunningQuery> {
    const { name, hold, query } = parseDeclare(sql);
    if (!hold && this.session.transaction !== 'in transaction') {
      throw new SpokeError(ErrorCode.INVALID_QUERY, 'DECLARE CURSOR can only be used in transaction blocks', {
        details: { sqlstate: '25P01' },
      });
    }
    if (this.cursors.has(name) || this.portals.has(name)) {
      throw new SpokeError(ErrorCode.INVALID_QUERY, `cursor "${name}" already exists`, {
        details: { sqlstate: '42P03' },
      });
    }
    const running = await this.run(query, params);
    this.current = undefined;
    this.cursors.set(name, { running, hold, done: false });
    return this.commandOnly('DECLARE CURSOR');
  }

  /** FETCH streams up to `count` rows of the cursor; MOVE skips them. */
  private async fetch(sql: string): Promise<RunningQuery> {
    const { move, count, name } = parseFetch(sql);
    const cursor = this.cursor(name);
    const source = cursor.running;
    source.iterator ??= source.result.batches[Symbol.asyncIterator]();
    const iterator = source.iterator;
    const limit = count === 'all' ? Number.POSITIVE_INFINITY : count;
    async function* rows(): AsyncGenerator<RecordBatch> {
      let left = limit;
      while (left > 0 && !cursor.done) {
        let batch: RecordBatch;
        let from = 0;
        if (cursor.rest) {
          ({ batch, next: from } = cursor.rest);
          cursor.rest = undefined;
        } else {
          const next = await iterator.next();
          if (next.done) {
            cursor.done = true;
            return;
          }
          batch = next.value;
        }
        const to = Math.min(batch.numRows, from + left);
        if (to < batch.numRows) cursor.rest = { batch, next: to };
        left -= to - from;
        if (to > from) yield from === 0 && to === batch.numRows ? batch : batch.slice(from, to);
      }
    }
    if (move) {
      let moved = 0;
      for await (const batch of rows()) moved += batch.numRows;
      return this.commandOnly('MOVE', moved);
    }
    // Its own controller: a FETCH portal released early must not abort the cursor's query.
    return {
      controller: new AbortController(),
      result: { command: 'FETCH', schema: source.result.schema, batches: rows() },
      columns: source.columns,
      rows: 0,
    };
  }

  private closeCursor(sql: string): RunningQuery {
    const name = parseClose(sql);
    if (name === undefined) this.closeCursors(true);
    else {
      this.release(this.cursor(name).running);
      this.cursors.delete(name);
    }
    return this.commandOnly('CLOSE CURSOR');
  }

  /** Closes the cursors a transaction end closes (`all`: every one, on CLOSE ALL or disconnect). */
  private closeCursors(all: boolean): void {
    for (const [name, cursor] of this.cursors) {
      if (all || !cursor.hold) {
        this.release(cursor.running);
        this.cursors.delete(name);
      }
    }
  }

  /** CopyOutResponse, one CopyData per row, CopyDone. */
  private async sendCopy(running: RunningQuery): Promise<void> {
    const request = running.copy!;
    const encoder = new CopyEncoder(request, running.result.schema, running.columns);
    const out = this.out;
    const binary = request.format === 'binary' ? 1 : 0;
    const response = out.beginMessage(0x48); // 'H' CopyOutResponse
    out.byte(binary);
    out.int16(running.columns.length);
    for (const _column of running.columns) out.int16(binary);
    out.endMessage(response);
    const copyData = (chunk: Buffer | undefined) => {
      if (!chunk) return;
      const at = out.beginMessage(0x64); // 'd' CopyData
      out.bytes(chunk);
      out.endMessage(at);
    };
    // The binary signature travels with the first row, as PostgreSQL sends it (psycopg 3 expects a row after it).
    let head = encoder.head();
    if (request.format !== 'binary') {
      copyData(head);
      head = undefined;
    }
    running.iterator ??= running.result.batches[Symbol.asyncIterator]();
    while (true) {
      if (running.controller.signal.aborted) throw abortReason(running.controller.signal);
      const next = await running.iterator.next();
      if (next.done) break;
      const row = encoder.rows(next.value);
      for (let i = 0; i < next.value.numRows; i++) {
        copyData(head ? Buffer.concat([head, row(i)]) : row(i));
        head = undefined;
        if (out.length >= FLUSH_THRESHOLD) await this.flush();
      }
      running.rows += next.value.numRows;
    }
    copyData(head);
    copyData(encoder.tail());
    this.message(0x63); // 'c' CopyDone
  }

  /**
   * Streams DataRows, flushing to the socket as output accumulates and waiting
   * for it to drain. `maxRows` 0 means all rows.
   */
  private async sendRows(
    running: RunningQuery,
    maxRows: number,
    resultFormats: readonly number[],
  ): Promise<'done' | 'suspended'> {
    const { controller, columns } = running;
    const binary = columns.map((_column, i) => wantsBinary(resultFormats, i));
    running.iterator ??= running.result.batches[Symbol.asyncIterator]();
    let sent = 0;
    const out = this.out;
    while (true) {
      if (controller.signal.aborted) throw abortReason(controller.signal);
      if (!running.pending) {
        const next = await running.iterator.next();
        if (next.done) return 'done';
        const batch = next.value;
        const writers = columns.map((column, i) => {
          const data = batch.getChildAt(i)!.data[0] as unknown as ColumnData;
          return binary[i] ? binaryWriter(data, column) : textWriter(data, column);
        });
        running.pending = { batch, writers, next: 0 };
      }
      const pending = running.pending;
      const { writers } = pending;
      const end =
        maxRows > 0
          ? Math.min(pending.batch.numRows, pending.next + (maxRows - sent))
          : pending.batch.numRows;
      for (let row = pending.next; row < end; row++) {
        const at = out.beginMessage(0x44); // 'D' DataRow
        out.int16(writers.length);
        try {
          for (const writer of writers) writer(out, row);
        } catch (error) {
          // A value that cannot be encoded: drop the half-written DataRow so the error that follows is readable.
          out.length = at - 1;
          throw error;
        }
        out.endMessage(at);
        if (out.length >= FLUSH_THRESHOLD) await this.flush();
      }
      sent += end - pending.next;
      running.rows += end - pending.next;
      pending.next = end;
      if (pending.next >= pending.batch.numRows) running.pending = undefined;
      if (maxRows > 0 && sent >= maxRows) {
        // Suspend only if rows remain; otherwise finish now, as PostgreSQL does.
        if (running.pending) return 'suspended';
        const next = await running.iterator.next();
        if (next.done) return 'done';
        running.pending = {
          batch: next.value,
          writers: columns.map((column, i) => {
            const data = next.value.getChildAt(i)!.data[0] as unknown as ColumnData;
            return binary[i] ? binaryWriter(data, column) : textWriter(data, column);
          }),
          next: 0,
        };
        return 'suspended';
      }
    }
  }

  /** The CommandComplete tag: `SELECT 3`, `INSERT 0 1`, `SET`… */
  private tag(running: RunningQuery): string {
    const command = running.result.command.toUpperCase();
    const affected = running.result.rowsAffected?.() ?? running.rows;
    switch (command) {
      case 'SELECT':
      case 'CREATE TABLE AS':
        return command === 'SELECT' ? `SELECT ${running.rows}` : `SELECT ${affected}`;
      case 'INSERT':
        return `INSERT 0 ${affected}`;
      case 'UPDATE':
      case 'DELETE':
      case 'MERGE':
      case 'FETCH':
      case 'MOVE':
      case 'COPY':
        return `${command} ${affected}`;
      default:
        return command;
    }
  }

  /** Reports an error; inside a transaction block the transaction becomes failed. */
  private fail(error: unknown): void {
    const fields = errorFields(error);
    if (this.session.transaction === 'in transaction') this.failedTransaction = true;
    this.errorResponse(fields);
  }

  private release(running: RunningQuery | undefined): void {
    if (!running) return;
    running.controller.abort(new SpokeError(ErrorCode.QUERY_CANCELLED, 'portal closed'));
    // Let the engine free what the statement holds (sources, DuckDB results).
    void running.iterator?.return?.().catch(() => {});
  }

  private releasePortals(): void {
    for (const portal of this.portals.values()) this.release(portal.running);
    this.portals.clear();
  }

  // ── backend messages ─────────────────────────────────────────────────────

  /** The values of {@link REPORTED_PARAMETERS}, in that order. */
  private reportedValues(): string[] {
    const settings = this.session.settings;
    return REPORTED_PARAMETERS.map(([, key, fallback]) => settings.get(key) ?? fallback);
  }

  private message(type: number): void {
    const at = this.out.beginMessage(type);
    this.out.endMessage(at);
  }

  private parameterStatus(name: string, value: string): void {
    const at = this.out.beginMessage(0x53); // 'S'
    this.out.cstring(name);
    this.out.cstring(value);
    this.out.endMessage(at);
  }

  private rowDescription(
    schema: Schema,
    columns: readonly PgColumnType[],
    resultFormats: readonly number[],
  ): void {
    const out = this.out;
    const at = out.beginMessage(0x54); // 'T'
    out.int16(columns.length);
    columns.forEach((column, i) => {
      out.cstring(schema.fields[i]!.name);
      out.int32(0); // table OID: results are not tied to a stored table
      out.int16(0); // column number
      out.int32(column.oid);
      out.int16(column.length);
      out.int32(column.modifier);
      out.int16(wantsBinary(resultFormats, i) ? 1 : 0);
    });
    out.endMessage(at);
  }

  private commandComplete(tag: string): void {
    const at = this.out.beginMessage(0x43); // 'C'
    this.out.cstring(tag);
    this.out.endMessage(at);
  }

  private errorResponse(fields: ErrorFields): void {
    const out = this.out;
    const at = out.beginMessage(0x45); // 'E'
    const field = (code: string, value: string | undefined) => {
      if (value === undefined) return;
      out.byte(code.charCodeAt(0));
      out.cstring(value);
    };
    field('S', fields.severity);
    field('V', fields.severity);
    field('C', fields.code);
    field('M', fields.message);
    field('D', fields.detail);
    field('H', fields.hint);
    field('P', fields.position === undefined ? undefined : String(fields.position));
    out.byte(0);
    out.endMessage(at);
  }

  private readyForQuery(): void {
    const at = this.out.beginMessage(0x5a); // 'Z'
    this.out.byte(
      this.failedTransaction ? 0x45 : this.session.transaction === 'in transaction' ? 0x54 : 0x49,
    );
    this.out.endMessage(at);
  }

  /** Writes pending output; waits while the socket's buffer is full (backpressure). */
  private async flush(): Promise<void> {
    if (this.out.length === 0 || this.closed) return;
    const socket = this.options.socket;
    if (!socket.write(this.out.take())) {
      await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    }
  }
}

function wantsBinary(resultFormats: readonly number[], i: number): boolean {
  const format = resultFormats.length === 1 ? resultFormats[0] : resultFormats[i];
  return format === 1;
}
