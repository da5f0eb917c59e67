/**
 * The meaning Spoke gives `text @@ 'words'` (`text_match`) on Lance, chosen so
 * that the answer is the same with and without a full-text index:
 *
 * > every word of the query — a maximal run of Unicode letters and digits —
 * > occurs as a whole word of the text, ignoring case. A query without words
 * > matches every non-NULL text. NULL text never matches.
 *
 * Lance evaluates it as one `regexp_like` per word (Rust `regex`); DuckDB, for
 * the residual and for reference answers, evaluates the same regular
 * expressions with `regexp_matches(text, pattern, 'i')` (RE2), so both sides
 * agree. With a full-text index the index narrows the candidates (an AND
 * match over the index's tokens, a superset for the `simple` and `ngram`
 * tokenizers) and the same expressions are applied on top, so the rows are
 * identical and only the order and the `_score` come from the index.
 */

/** The words of a full-text query, de-duplicated, in order. */
export function textMatchWords(query: string): string[] {
  return [...new Set(query.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0))];
}

/**
 * The regular expression (Rust `regex` and RE2 syntax; match case-insensitively)
 * that finds `word` as a whole word. Words hold only letters and digits, so
 * nothing in them needs escaping.
 */
export function wholeWordPattern(word: string): string {
  return `(^|[^\\p{L}\\p{N}])${word}([^\\p{L}\\p{N}]|$)`;
}

/**
 * The Lance filter for `text_match(column, query)`: `quotedColumn` is the
 * quoted identifier, `quoteString` the dialect's string quoting.
 */
export function textMatchPredicate(
  quotedColumn: string,
  query: string,
  quoteString: (s: string) => string,
): string {
  const words = textMatchWords(query);
  if (words.length === 0) return `(${quotedColumn} IS NOT NULL)`;
  return `(${words.map((w) => `regexp_like(${quotedColumn}, ${quoteString(`(?i)${wholeWordPattern(w)}`)})`).join(' AND ')})`;
}

/**
 * The same predicate in DuckDB SQL, for the planner's residual and for
 * reference answers in tests: `quotedColumn` is DuckDB-quoted.
 */
export function textMatchDuckDB(quotedColumn: string, query: string): string {
  const words = textMatchWords(query);
  if (words.length === 0) return `(${quotedColumn} IS NOT NULL)`;
  return `(${words.map((w) => `regexp_matches(${quotedColumn}, '${wholeWordPattern(w)}', 'i')`).join(' AND ')})`;
}
