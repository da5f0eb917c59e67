/**
 * A small scanner over PostgreSQL text that knows what is not code: string
 * literals (`'…'`, `E'…'`), quoted identifiers, dollar-quoted strings and
 * comments. The GRAPH_TABLE rewrite uses it so that a keyword or a
 * parenthesis inside a string is never taken for syntax.
 */

/** One piece of SQL text. */
export interface SqlToken {
  readonly kind: 'string' | 'identifier' | 'dollar' | 'comment' | 'word' | 'space' | 'other';
  readonly text: string;
  readonly start: number;
}

/** Splits `sql` into tokens; the texts concatenated give `sql` back. */
export function scanSql(sql: string): SqlToken[] {
  const out: SqlToken[] = [];
  let i = 0;
  const push = (kind: SqlToken['kind'], end: number) => {
    out.push({ kind, text: sql.slice(i, end), start: i });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      push('comment', end < 0 ? sql.length : end);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < sql.length) {
        if (sql.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else if (sql.startsWith('*/', j)) {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      push('comment', j);
    } else if (c === "'" || ((c === 'E' || c === 'e') && next === "'")) {
      const escapes = c !== "'";
      let j = escapes ? i + 2 : i + 1;
      while (j < sql.length) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      push('string', Math.min(j + 1, sql.length));
    } else if (c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '"' && sql[j + 1] === '"') j += 2;
        else if (sql[j] === '"') break;
        else j++;
      }
      push('identifier', Math.min(j + 1, sql.length));
    } else if (c === '$' && /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 64))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      push('dollar', end < 0 ? sql.length : end + tag.length);
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_$]/.test(sql[j]!)) j++;
      push('word', j);
    } else if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else push('other', i + 1);
  }
  return out;
}

/** The value of a SQL string token (`'it''s'` → `it's`, `E'a\\nb'` → `a\nb`). */
export function sqlStringValue(token: string): string {
  if (token[0] === "'") return token.slice(1, -1).replaceAll("''", "'");
  return token
    .slice(2, -1)
    .replaceAll("''", "'")
    .replace(/\\(.)/gs, (_m, ch: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' })[ch] ?? ch);
}
