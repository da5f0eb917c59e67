/**
 * Replaces the literals in SQL text with `?` for the audit log, so values
 * (an e-mail address in a WHERE clause) stay out of it while the query's
 * shape stays readable. A small lexer of PostgreSQL's: quoted identifiers,
 * comments and `$n` parameters are kept; string constants ('…', E'…',
 * B'…', X'…', U&'…', $tag$…$tag$) and numbers become `?`.
 */
export function redactLiterals(sql: string): string {
  let out = '';
  let i = 0;
  const n = sql.length;
  const isIdent = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      // Comments nest in PostgreSQL.
      let depth = 0;
      let j = i;
      while (j < n) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          depth--;
          j += 2;
          if (depth === 0) break;
        } else j++;
      }
      out += sql.slice(i, j);
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && !(sql[j] === '"' && sql[j + 1] !== '"')) j += sql[j] === '"' ? 2 : 1;
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (
      c === "'" ||
      ((c === 'E' || c === 'e' || c === 'B' || c === 'b' || c === 'X' || c === 'x') &&
        next === "'" &&
        !isIdent(sql[i - 1]))
    ) {
      const escapes = c === 'E' || c === 'e';
      let j = c === "'" ? i + 1 : i + 2;
      while (j < n) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === "'" && sql[j + 1] === "'") j += 2;
        else if (sql[j] === "'") break;
        else j++;
      }
      out += '?';
      i = j + 1;
    } else if ((c === 'U' || c === 'u') && next === '&' && sql[i + 2] === "'" && !isIdent(sql[i - 1])) {
      let j = i + 3;
      while (j < n && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out += '?';
      i = j + 1;
    } else if (c === '$' && !isIdent(sql[i - 1])) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 66));
      if (tag) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        out += '?';
        i = end < 0 ? n : end + tag[0].length;
      } else {
        // `$1`: a parameter, not a literal.
        const m = /^\$\d+/.exec(sql.slice(i, i + 12));
        out += m ? m[0] : c;
        i += m ? m[0].length : 1;
      }
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next ?? ''))) {
      if (isIdent(sql[i - 1])) {
        out += c;
        i++;
        continue;
      }
      const m =
        /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?\.?)/.exec(
          sql.slice(i),
        );
      const length = m && m[0].length > 0 ? m[0].length : 1;
      out += '?';
      i += length;
    } else {
      // An identifier or keyword: copy it whole, so digits inside it are kept.
      if (isIdent(c)) {
        let j = i + 1;
        while (j < n && isIdent(sql[j])) j++;
        out += sql.slice(i, j);
        i = j;
      } else {
        out += c;
        i++;
      }
    }
  }
  return out;
}
