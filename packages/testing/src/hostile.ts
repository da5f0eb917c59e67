/**
 * Strings that break SQL built by concatenation: quotes of every kind,
 * backslashes, dollar quoting, statement separators, comments, placeholders,
 * unicode and very long text. A dialect must carry each as DATA — as an
 * identifier (a column named with it) and as a literal (a filter comparing
 * to it returns exactly the matching row). Connector test suites for
 * PostgreSQL, MySQL, Snowflake… run the same corpus against their dialect.
 *
 * No two identifiers differ only in case (DuckDB, MySQL and Snowflake fold
 * or compare them case-insensitively), and every identifier fits in
 * PostgreSQL's 63 bytes.
 */
export const HOSTILE_IDENTIFIERS: readonly string[] = [
  "it's",
  'say "hi"',
  '"',
  '""',
  "'",
  'back\\slash',
  '\\',
  '\\"',
  '`backtick`',
  '[bracket]',
  '$$',
  '$1',
  '$tag$',
  '?',
  ':name',
  '%s',
  'semi;colon',
  'x; DROP TABLE t; --',
  '-- line comment',
  '/* block */',
  '*/',
  'select',
  'a.b',
  '?column?',
  ' leading space',
  'trailing space ',
  'tab\there',
  'new\nline',
  'naïve café',
  'emoji 😀',
  '日本語',
  'zero\u200bwidth',
  'right\u202eleft',
  'long_'.padEnd(60, 'x'),
];

/**
 * Literal texts; see {@link HOSTILE_IDENTIFIERS}. Includes the empty string
 * and a 100 000-character string.
 */
export const HOSTILE_LITERALS: readonly string[] = [
  '',
  "'",
  "''",
  "it's",
  "'; DROP TABLE t; --",
  '"',
  'say "hi"',
  '\\',
  "\\'",
  '\\\\',
  "E'\\n'",
  'back\\slash\\',
  '$$',
  '$$ || 1 || $$',
  '$tag$x$tag$',
  '$1',
  '?',
  ':name',
  '%s %d',
  '%_',
  'a%b_c',
  ';',
  '-- comment',
  '/* comment */',
  '*/ /*',
  'line\nbreak\r\n',
  'tab\there',
  'naïve café',
  'emoji 😀 👩‍👩‍👧',
  '日本語テキスト',
  'zero\u200bwidth\ufeff',
  'right\u202eleft',
  'NULL',
  'null',
  `${"'".repeat(500)}${'\\'.repeat(500)}${'😀'.repeat(500)}`,
  'x'.repeat(100_000),
];

/**
 * Strings holding U+0000. No SQL system stores NUL in text or names, so a
 * dialect must refuse them with a clear `INVALID_QUERY` error rather than
 * truncate them.
 */
export const HOSTILE_NUL_STRINGS: readonly string[] = ['\u0000', 'a\u0000b', "x'\u0000; DROP TABLE t; --"];
