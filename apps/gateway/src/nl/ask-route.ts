/**
 * `POST /v1/ask` (also `/v1/nl`): `{"question": "…", "dryRun": false}` →
 * `{"question", "sql", "explain", "attempts", "model", "columns", "rows"}`,
 * `columns` and `rows` shaped as `/v1/query` answers them. With `dryRun` the
 * SQL is written and checked but not run (no `columns`/`rows`).
 *
 * The question is answered as the caller: the model sees the catalog as they
 * may see it, the SQL is checked and run through their own engine (limits,
 * audit, policies), and the audit record of the run holds the question as a
 * comment before the SQL.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, SpokeError } from '@spoke/core';
import { labelWithQuestion } from '@spoke/nl';
import type { QueryEngine } from '@spoke/planner';
import type { Principal } from '../auth/authenticator.js';
import { batchRows } from '../format/batch-rows.js';
import { typeName } from '../format/value-reader.js';
import { describeError, HttpError, HttpErrorCode } from '../http/error-status.js';
import { parseJsonObjectBody } from '../http/json-object-body.js';
import { annotatorFor, nlOf, rowCounterFor, viewerKey } from './nl-engine.js';

/** Rows are written in chunks of about this many characters. */
const CHUNK_CHARS = 64 * 1024;

interface AskBody {
  readonly question: string;
  readonly dryRun: boolean;
}

function parseAskBody(text: string): AskBody {
  const { question, dryRun, ...rest } = parseJsonObjectBody(text, '{"question": "..."}');
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined)
    throw new HttpError(
      400,
      HttpErrorCode.BAD_REQUEST,
      `unknown member "${unknown}": expected question, dryRun`,
    );
  if (typeof question !== 'string' || question.trim() === '')
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, '"question" must be a non-empty string');
  if (dryRun !== undefined && typeof dryRun !== 'boolean')
    throw new HttpError(400, HttpErrorCode.BAD_REQUEST, '"dryRun" must be true or false');
  return { question, dryRun: dryRun === true };
}

/** What the route needs from the HTTP server. */
export interface AskRouteInput {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The engine the server was started with (it carries the models). */
  readonly engine: QueryEngine;
  /** The caller's own engine (the query service's view for them). */
  readonly callerEngine: QueryEngine;
  readonly principal: Principal;
  readonly signal: AbortSignal;
  readBody(): Promise<string>;
  write(chunk: string): Promise<void>;
  log(message: string): void;
}

/** Answers one `POST /v1/ask`. */
export async function handleAsk(input: AskRouteInput): Promise<void> {
  const nl = nlOf(input.engine);
  if (!nl)
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'natural language is not configured: add an nl: section with chat: { endpoint, model, apiKey } to the config',
    );
  const body = parseAskBody(await input.readBody());
  const annotate = annotatorFor(input.engine, { roles: input.principal.roles });
  const rowCount = rowCounterFor(input.engine);
  const answer = await nl.models.asker.ask(input.callerEngine, body.question, {
    signal: input.signal,
    dryRun: body.dryRun,
    label: labelWithQuestion,
    viewer: viewerKey(input.principal),
    ...(annotate ? { annotate } : {}),
    ...(rowCount ? { rowCount } : {}),
    ...(nl.graphs ? { graphs: nl.graphs } : {}),
  });
  const head = {
    question: answer.question,
    sql: answer.sql,
    explain: answer.explain,
    attempts: answer.attempts,
    model: answer.model,
  };
  const { res } = input;
  if (!answer.result) {
    const text = JSON.stringify(head, jsonValue);
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    return;
  }
  const result = answer.result;
  const queryId = (result as { queryId?: string }).queryId;
  if (queryId) res.setHeader('x-spoke-query-id', queryId);
  // Pull the first batch before the status line, so an error when the query starts still gets its status.
  const iterator = result.batches[Symbol.asyncIterator]();
  let next = await iterator.next();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  const columns = result.schema.fields.map((f) => ({ name: f.name, type: typeName(f.type) }));
  let chunk = `${JSON.stringify(head, jsonValue).slice(0, -1)},"columns":${JSON.stringify(columns)},"rows":[`;
  let first = true;
  try {
    while (!next.done) {
      for (const row of batchRows(next.value, 'json')) {
        chunk += (first ? '' : ',') + JSON.stringify(row);
        first = false;
        if (chunk.length >= CHUNK_CHARS) {
          await input.write(chunk);
          chunk = '';
        }
      }
      next = await iterator.next();
    }
    await input.write(`${chunk}]}`);
  } catch (error) {
    await iterator.return?.();
    if (res.destroyed) throw error;
    const { code, message } = describeError(error);
    input.log(`ask failed after rows were sent: ${code}: ${message}`);
    await input.write(`${chunk}],"error":${JSON.stringify({ code, message })}}`);
  }
  res.end();
}

/** Plans hold bigints and bytes: as `/v1/explain` writes them. */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}
