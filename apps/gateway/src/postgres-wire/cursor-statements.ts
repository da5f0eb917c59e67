/**
 * The SQL-level cursor statements — `DECLARE name CURSOR FOR query`,
 * `FETCH [FORWARD] n FROM name`, `MOVE`, `CLOSE name` — that psycopg's
 * named (server-side) cursors send. Only forward reading is offered: the
 * rows stream from the engine and are not kept, as PostgreSQL's NO SCROLL.
 *
 * Read with a small grammar of our own: the statement's query goes to the
 * engine as it is, and the cursor name is only ever a map key.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { maskLiterals } from './split-statements.js';

/** `DECLARE name … CURSOR … FOR query`. */
export interface DeclareCursor {
  readonly name: string;
  /** WITH HOLD: the cursor outlives its transaction. */
  readonly hold: boolean;
  readonly query: string;
}

/** `FETCH`/`MOVE`: how many rows (`all` = the rest) from which cursor. */
export interface FetchCursor {
  readonly move: boolean;
  readonly count: number | 'all';
  readonly name: string;
}

const NAME = String.raw`("(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;

/** A cursor name as PostgreSQL folds it: quoted kept as is, unquoted lower-cased. */
function cursorName(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
}

function syntaxError(statement: string): SpokeError {
  return new SpokeError(ErrorCode.SYNTAX_ERROR, `syntax error in ${statement}`, {
    details: { sqlstate: '42601' },
  });
}

/** Reads a DECLARE statement. */
export function parseDeclare(sql: string): DeclareCursor {
  const masked = maskLiterals(sql);
  const head = new RegExp(
    String.raw`^\s*declare\s+${NAME}\s+((?:binary|asensitive|insensitive|no\s+scroll|scroll|\s)*)cursor\s+(?:(with|without)\s+hold\s+)?for\s`,
    'i',
  ).exec(masked);
  if (!head) throw syntaxError('DECLARE: expected DECLARE name CURSOR [WITH HOLD] FOR query');
  if (/\b(?<!no\s+)scroll\b/i.test(head[2] ?? '')) {
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'SCROLL cursors are not supported: cursors only read forward',
      {
        details: { sqlstate: '0A000' },
      },
    );
  }
  if (/\bbinary\b/i.test(head[2] ?? '')) {
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'BINARY cursors are not supported: ask for binary results in Bind',
      {
        details: { sqlstate: '0A000' },
      },
    );
  }
  // The name's own text from the statement (masking hid a quoted name's letters).
  const nameStart = head[0].search(/\S/) + 'declare'.length;
  const rawName = sql.slice(nameStart).trimStart().slice(0, head[1]!.length);
  return {
    name: cursorName(rawName),
    hold: head[3]?.toLowerCase() === 'with',
    query: sql.slice(head[0].length).replace(/;\s*$/, '').trim(),
  };
}

/** Reads a FETCH or MOVE statement (forward directions only). */
export function parseFetch(sql: string): FetchCursor {
  const text = sql.trim().replace(/;\s*$/, '');
  const match = new RegExp(
    String.raw`^(fetch|move)(?:\s+(next|all|forward(?:\s+(?:all|\d+))?|\+?\d+|prior|first|last|backward(?:\s+(?:all|\d+))?|absolute\s+-?\d+|relative\s+-?\d+|-\d+))?(?:\s+(?:from|in))?\s+${NAME}$`,
    'i',
  ).exec(text);
  if (!match)
    throw syntaxError(`${text.split(/\s/)[0]!.toUpperCase()}: expected FETCH [FORWARD] [n | ALL] FROM name`);
  const direction = (match[2] ?? 'next').toLowerCase().replace(/\s+/g, ' ');
  let count: number | 'all';
  if (direction === 'next' || direction === 'forward') count = 1;
  else if (direction === 'all' || direction === 'forward all') count = 'all';
  else if (/^(forward )?\+?\d+$/.test(direction)) count = Number(direction.replace(/\D/g, ''));
  else {
    throw new SpokeError(ErrorCode.INVALID_QUERY, 'cursor can only scan forward', {
      details: { sqlstate: '55000', hint: 'Spoke cursors read forward: FETCH [FORWARD] n | ALL.' },
    });
  }
  return { move: match[1]!.toLowerCase() === 'move', count, name: cursorName(match[3]!) };
}

/** Reads `CLOSE name` / `CLOSE ALL`: the name, or `undefined` for ALL. */
export function parseClose(sql: string): string | undefined {
  const match = new RegExp(String.raw`^close\s+${NAME}$`, 'i').exec(sql.trim().replace(/;\s*$/, ''));
  if (!match) throw syntaxError('CLOSE: expected CLOSE name | ALL');
  return /^all$/i.test(match[1]!) ? undefined : cursorName(match[1]!);
}
