/**
 * The audit trail: one JSON line per query, admitted or refused, to a file
 * (appended) or standard output. Lines are written whole, so a reader never
 * sees half a record; `close()` waits until everything is on disk.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AuditConfig } from '../config/gateway-config.js';

/** One audit record. Field names are stable: tools parse them. */
export interface AuditRecord {
  /** When the query arrived, ISO 8601 UTC. */
  readonly time: string;
  /** The id also written in the logs and shown by `GET /v1/queries`. */
  readonly queryId: string;
  readonly user: string | null;
  readonly roles: readonly string[];
  /** `ip:port` of the client, when known. */
  readonly clientAddress: string | null;
  /** `http`, `postgres`, `flight` or `cli`. */
  readonly protocol: string;
  /** SHA-256 (hex) of `sql` as written here, so identical query shapes share a hash when literals are redacted. */
  readonly sqlHash: string;
  /** The statement, with literals replaced by `?` when `audit.redact_literals` is on. */
  readonly sql: string;
  /**
   * For `SELECT * FROM ask('…')`: the SQL the language model wrote and Spoke
   * ran (redacted as `sql` is). `POST /v1/ask` and `spoke ask` run that SQL
   * itself, so their records' `sql` holds it, after a comment with the question.
   */
  readonly generatedSql?: string;
  /** Security policy rules that shaped the query. */
  readonly appliedRules: readonly string[];
  /** Sources the query read from. */
  readonly sources: readonly string[];
  readonly rows: number;
  /** Arrow bytes of the rows returned. */
  readonly bytes: number;
  readonly durationMs: number;
  /** `ok`, or the error code it ended with (`POLICY_DENIED`, `RESOURCE_EXHAUSTED`, `QUERY_CANCELLED`…). */
  readonly outcome: string;
  /** The error message, when the outcome is not `ok`. */
  readonly error?: string;
}

/** Where audit records go. */
export interface AuditSink {
  write(record: AuditRecord): void;
  /** Writes one other line (an access event, `events.audit`) to the same destination. */
  writeLine?(line: string): void;
  /** Flushes and closes the destination. */
  close(): Promise<void>;
}

/** An audit sink that keeps nothing (no `audit:` section). */
export const NO_AUDIT: AuditSink = { write() {}, close: async () => {} };

/** Opens the sink an `audit:` section names. */
export function openAuditSink(config: AuditConfig): AuditSink {
  if (config.stdout) {
    return {
      write(record) {
        process.stdout.write(`${JSON.stringify(record)}\n`);
      },
      writeLine(line) {
        process.stdout.write(`${line}\n`);
      },
      close: () => new Promise((resolve) => process.stdout.write('', () => resolve())),
    };
  }
  const stream: WriteStream = createWriteStream(config.path!, { flags: 'a', mode: 0o600 });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    failure = error;
  });
  return {
    write(record) {
      if (!failure) stream.write(`${JSON.stringify(record)}\n`);
    },
    writeLine(line) {
      if (!failure) stream.write(`${line}\n`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.closed || stream.destroyed) return resolve();
        stream.end(() => resolve());
      }),
  };
}
