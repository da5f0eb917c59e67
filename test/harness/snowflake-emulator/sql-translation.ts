/**
 * Turns the Snowflake SQL the connector (or a test) sends into SQL DuckDB
 * runs. Only what Snowflake and DuckDB spell differently is rewritten, and
 * only outside string literals and quoted identifiers, so a test can never
 * smuggle SQL through the translation.
 *
 * The list is short on purpose: the emulator checks that the connector speaks
 * the Snowflake protocol and a Snowflake-compatible dialect, not that DuckDB
 * is Snowflake. Every rewrite is one Snowflake spelling DuckDB lacks.
 */

/** Word-level rewrites (upper-cased keys): Snowflake's type names and functions DuckDB spells otherwise. */
const WORDS: Readonly<Record<string, string>> = {
  NUMBER: 'DECIMAL',
  // Snowflake's FLOAT, FLOAT4, FLOAT8, REAL are all 64-bit.
  FLOAT: 'DOUBLE',
  FLOAT4: 'DOUBLE',
  FLOAT8: 'DOUBLE',
  TIMESTAMP_NTZ: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMPTZ',
  TIMESTAMP_TZ: 'TIMESTAMPTZ',
  DATETIME: 'TIMESTAMP',
  VARIANT: 'JSON',
  OBJECT: 'JSON',
  STRING: 'VARCHAR',
  TEXT: 'VARCHAR',
  BINARY: 'BLOB',
  VARBINARY: 'BLOB',
  IFF: 'if',
  NVL: 'coalesce',
  CHARINDEX: 'instr',
  STARTSWITH: 'starts_with',
};

/** A piece of SQL text: code (rewritable), or a string literal / quoted identifier (kept verbatim). */
interface Piece {
  readonly code: boolean;
  readonly text: string;
}

/** Splits SQL into code and quoted pieces ('…' with '' escapes, "…" with "" escapes). */
export function splitQuoted(sql: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  let start = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      if (i > start) pieces.push({ code: true, text: sql.slice(start, i) });
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        // Snowflake strings accept backslash escapes.
        if (c === "'" && sql[j] === '\\') j++;
        j++;
      }
      pieces.push({ code: false, text: sql.slice(i, j + 1) });
      i = j + 1;
      start = i;
    } else {
      i++;
    }
  }
  if (start < sql.length) pieces.push({ code: true, text: sql.slice(start) });
  return pieces;
}

/** What {@link translateSql} found besides the DuckDB text. */
export interface Translation {
  readonly sql: string;
  /** Seconds asked for with `SYSTEM$WAIT(n)`, which the emulator sleeps (abortably) before running. */
  readonly waitSeconds: number;
}

/**
 * Rewrites Snowflake SQL for DuckDB. `infoSchema` is the qualified DuckDB
 * schema that stands in for `INFORMATION_SCHEMA`.
 */
export function translateSql(sql: string, infoSchema: string): Translation {
  let waitSeconds = 0;
  const pieces = splitQuoted(sql.trim().replace(/;\s*$/, ''));
  const out: string[] = [];
  for (let k = 0; k < pieces.length; k++) {
    const piece = pieces[k]!;
    if (!piece.code) {
      // Snowflake reads backslash escapes in strings; DuckDB does not: make them plain.
      if (piece.text.startsWith("'") && piece.text.includes('\\')) {
        const body = piece.text.slice(1, -1).replace(/\\(.)/g, (_, ch: string) => {
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', b: '\b' };
          return map[ch] ?? ch;
        });
        out.push(`'${body.replaceAll("''", "'").replaceAll("'", "''")}'`);
      } else {
        out.push(piece.text);
      }
      continue;
    }
    let text = piece.text;
    // `"DB".INFORMATION_SCHEMA.X` or `INFORMATION_SCHEMA.X` → the stand-in schema.
    if (
      out.length &&
      /^\s*\.\s*INFORMATION_SCHEMA\s*\./i.test(text) &&
      pieces[k - 1] &&
      !pieces[k - 1]!.code
    ) {
      out.pop();
      text = text.replace(/^\s*\.\s*INFORMATION_SCHEMA\s*\./i, `${infoSchema}.`);
    }
    text = text.replace(/\b(?:\w+\.)?INFORMATION_SCHEMA\s*\./gi, `${infoSchema}.`);
    text = text.replace(/SYSTEM\$WAIT\s*\(\s*(\d+(?:\.\d+)?)\s*\)/gi, (_, n: string) => {
      waitSeconds += Number(n);
      return `'waited ${n} seconds'`;
    });
    // Snowflake's numbered binds `:1` → DuckDB's `$1`.
    text = text.replace(/(^|[^:\w]):(\d+)\b/g, '$1$$$2');
    text = text.replace(/\b[A-Za-z_][A-Za-z_0-9]*\b/g, (word) => WORDS[word.toUpperCase()] ?? word);
    out.push(text);
  }
  return { sql: out.join(''), waitSeconds };
}
