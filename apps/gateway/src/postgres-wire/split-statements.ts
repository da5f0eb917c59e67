/**
 * Splits a simple-query string into its statements, and finds the `$n`
 * parameters of a statement.
 *
 * Why a lexer of our own rather than libpg-query: the gateway would parse the
 * text twice (the engine parses each statement anyway), and only four token
 * classes can hide a `;` or a `$1` — quoted strings (including `E'…'` with
 * backslash escapes), quoted identifiers, dollar-quoted strings and comments
 * (`--`, and nested block comments). A statement with a syntax error is still
 * split at its top-level semicolons and reported by the engine with its
 * SQLSTATE.
 */

/**
 * `sql` with the same length, where comments become spaces and the insides of
 * quoted strings, identifiers and dollar-quoted bodies become `_`: positions
 * are kept, and nothing quoted can look like `;` or `$1` any more.
 */
export function maskLiterals(sql: string): string {
  const out = sql.split('');
  const n = sql.length;
  const fill = (from: number, to: number, c: string) => {
    for (let k = from; k < Math.min(to, n); k++) out[k] = sql[k] === '\n' ? '\n' : c;
  };
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      fill(i, stop, ' ');
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const begin = i;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else {
          i++;
        }
      }
      fill(begin, i, ' ');
    } else if (c === "'") {
      // E'…' strings take backslash escapes; standard strings only double the quote.
      const escapes =
        i > 0 && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && (i < 2 || !/[\w$]/.test(sql[i - 2]!));
      const begin = ++i;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") break;
        else i++;
      }
      fill(begin, i, '_');
      i++;
    } else if (c === '"') {
      const begin = ++i;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') break;
        else i++;
      }
      fill(begin, i, '_');
      i++;
    } else if (
      c === '$' &&
      (i === 0 || !/[\w$]/.test(sql[i - 1]!)) &&
      /^\$([A-Za-z_]\w*)?\$/.test(sql.slice(i, i + 64))
    ) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      const stop = end === -1 ? n : end;
      fill(i + tag.length, stop, '_');
      i = stop + tag.length;
    } else {
      i++;
    }
  }
  return out.join('');
}

/** The statements of `sql`, trimmed, without empty ones (`;;` or only comments yield nothing). */
export function splitStatements(sql: string): string[] {
  const masked = maskLiterals(sql);
  const statements: string[] = [];
  let start = 0;
  for (let i = 0; i <= masked.length; i++) {
    if (i === masked.length || masked[i] === ';') {
      if (masked.slice(start, i).trim() !== '') statements.push(sql.slice(start, i).trim());
      start = i + 1;
    }
  }
  return statements;
}

/** The highest `$n` parameter number used in a statement (0 when it has none). */
export function parameterCount(sql: string): number {
  let max = 0;
  for (const match of maskLiterals(sql).matchAll(/(?<![\w$])\$(\d+)/g)) max = Math.max(max, Number(match[1]));
  return max;
}

/** Texts whose shape and leading keyword are remembered. */
const MAX_SHAPES = 256;

/** Leading keywords of the texts seen last: the wire asks for each statement two or three times. */
const keywords = new Map<string, string>();

/**
 * The first keyword of a statement, lower-case (`select`, `begin`…), skipping comments and parentheses
 * (cached by text, as {@link statementShape} is: masking a statement costs more than the rest of its Bind).
 */
export function leadingKeyword(sql: string): string {
  let keyword = keywords.get(sql);
  if (keyword === undefined) {
    const match = /^[\s(]*([A-Za-z]+)/.exec(maskLiterals(sql));
    keyword = match ? match[1]!.toLowerCase() : '';
    if (sql.length <= 4096) {
      if (keywords.size >= MAX_SHAPES) keywords.delete(keywords.keys().next().value as string);
      keywords.set(sql, keyword);
    }
  }
  return keyword;
}

/** What a Parse message needs of its text, remembered for the texts seen last (clients re-send the same ones). */
const shapes = new Map<string, { readonly statements: number; readonly parameters: number }>();

/** The number of statements in `sql` and the highest `$n` it uses (cached by text). */
export function statementShape(sql: string): { readonly statements: number; readonly parameters: number } {
  let shape = shapes.get(sql);
  if (shape === undefined) {
    shape = { statements: splitStatements(sql).length, parameters: parameterCount(sql) };
    if (sql.length <= 4096) {
      if (shapes.size >= MAX_SHAPES) shapes.delete(shapes.keys().next().value as string);
      shapes.set(sql, shape);
    }
  }
  return shape;
}
