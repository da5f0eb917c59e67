/**
 * SQL/PGQ (SQL:2023) `GRAPH_TABLE` in SQL, which the PostgreSQL parser does
 * not know, rewritten before parsing into the `cypher()` table function that
 * it does:
 *
 *     FROM GRAPH_TABLE (social MATCH (a IS Person)-[k IS KNOWS]->{1,2}(b IS Person)
 *                       WHERE a.name = 'Ada' COLUMNS (b.name AS friend, b.age))
 *  →  FROM cypher('social', $pgq$MATCH (a :Person)-[k :KNOWS*1..2]->(b :Person)
 *                       WHERE a.name = 'Ada' RETURN b.name AS friend, b.age AS age$pgq$)
 *
 * Statement parameters (`$1`) inside GRAPH_TABLE are passed to the call and
 * read by the Cypher as `$1`. The graph pattern languages are close: labels `IS L` become `:L`,
 * quantifiers `{m,n}` / `*` / `+` after an edge become `*m..n` inside it,
 * `ANY SHORTEST` becomes `shortestPath(…)`, SQL string literals and quoted
 * identifiers become Cypher's, COLUMNS becomes RETURN (a property without an
 * alias is named after the property, as SQL/PGQ names it). The scanner skips
 * strings and comments, so only real syntax is rewritten; anything it cannot
 * rewrite is left for the compiler to report.
 */
import { quoteLiteral } from '../compile/sql-text.js';
import { cypherSyntaxError } from '../errors.js';
import { type SqlToken, scanSql, sqlStringValue } from './sql-scanner.js';

/** Cheap test before scanning. */
const MENTIONS = /graph_table\s*\(/i;

/** Words after IS that are SQL predicates, not labels. */
const NOT_LABELS = new Set([
  'null',
  'not',
  'true',
  'false',
  'unknown',
  'distinct',
  'normalized',
  'json',
  'of',
]);

function matching(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'other') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

/** Cypher text for SQL tokens: strings and quoted names re-spelt, `IS Label` → `:Label`. */
function cypherText(tokens: readonly SqlToken[]): string {
  let out = '';
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === 'string')
      out += `'${sqlStringValue(t.text).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
    else if (t.kind === 'identifier')
      out += `\`${t.text.slice(1, -1).replaceAll('""', '"').replaceAll('`', '``')}\``;
    else if (t.kind === 'comment') out += ' ';
    else if (t.kind === 'word' && t.text.toLowerCase() === 'is') {
      let n = k + 1;
      while (tokens[n]?.kind === 'space') n++;
      const label = tokens[n];
      if (
        label &&
        (label.kind === 'word' || label.kind === 'identifier') &&
        !NOT_LABELS.has(label.text.toLowerCase())
      ) {
        out += ':';
        k = n - 1; // the label follows the colon directly
      } else out += t.text;
    } else out += t.text;
  }
  return out;
}

/** `-[…]->{m,n}` / `->*` / `<-[…]-+` → the quantifier moved inside the brackets as `*m..n`. */
function moveQuantifiers(pattern: string): string {
  const length = (q: string): string => {
    if (q === '*') return '*';
    if (q === '+') return '*1..';
    const m = /^\{\s*(\d*)\s*(,\s*(\d*))?\s*\}$/.exec(q);
    if (!m) return q;
    if (m[2] === undefined) return `*${m[1]}`;
    return `*${m[1] || '0'}..${m[3] ?? ''}`;
  };
  const quantifier = String.raw`(\{\s*\d*\s*(?:,\s*\d*\s*)?\}|\*|\+)`;
  // Full edges: -[ … ]-> , <-[ … ]- , -[ … ]-
  let out = pattern.replace(
    new RegExp(String.raw`(<?-)\[([^\]]*)\](->|-)\s*${quantifier}`, 'g'),
    (_m, left: string, inner: string, right: string, q: string) => `${left}[${inner}${length(q)}]${right}`,
  );
  // Abbreviated edges: -> , <- , - followed by a quantifier.
  out = out.replace(
    new RegExp(String.raw`(<-|->|-)\s*${quantifier}\s*(?=\()`, 'g'),
    (_m, arrow: string, q: string) =>
      arrow === '->' ? `-[${length(q)}]->` : arrow === '<-' ? `<-[${length(q)}]-` : `-[${length(q)}]-`,
  );
  return out;
}

/** `p = ANY SHORTEST <path>` → `p = shortestPath(<path>)` (one path per pattern, up to the next comma). */
function shortestPaths(match: string): string {
  return match.replace(
    /\b(ANY|ALL)\s+SHORTEST\s+(\([^,]*?\))(?=\s*(,|\bWHERE\b|$))/gi,
    (_m, which: string, path: string) =>
      `${which.toUpperCase() === 'ALL' ? 'allShortestPaths' : 'shortestPath'}(${path})`,
  );
}

/** Splits tokens at top-level commas. */
function splitTopLevel(tokens: readonly SqlToken[]): SqlToken[][] {
  const parts: SqlToken[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'other' && (t.text === '(' || t.text === '[')) depth++;
    if (t.kind === 'other' && (t.text === ')' || t.text === ']')) depth--;
    if (depth === 0 && t.kind === 'other' && t.text === ',') parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

/** One COLUMNS item → a RETURN item. */
function returnItem(tokens: readonly SqlToken[]): string {
  const words = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const asAt =
    words.length >= 2 &&
    words[words.length - 2]!.kind === 'word' &&
    words[words.length - 2]!.text.toLowerCase() === 'as'
      ? words.length - 2
      : -1;
  const text = cypherText(tokens).trim();
  if (asAt >= 0) return text.replace(/\bpath_length\s*\(/gi, 'length(');
  const expr = text.replace(/\bpath_length\s*\(/gi, 'length(');
  // SQL/PGQ names `a.name` "name"; Cypher would name it "a.name".
  const property = /^[A-Za-z_`][^\s.]*\.\s*([A-Za-z_][A-Za-z0-9_]*|`[^`]*`)$/.exec(expr);
  if (property) return `${expr} AS ${property[1]}`;
  const variable = /^([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
  return variable ? expr : expr;
}

/** A `$tag$` not occurring in `text`. */
function dollarTag(text: string): string {
  let tag = '$pgq$';
  for (let n = 0; text.includes(tag); n++) tag = `$pgq${n}$`;
  return tag;
}

/**
 * Rewrites every `GRAPH_TABLE (graph MATCH … [WHERE …] COLUMNS (…))` of
 * `sql` into `cypher('graph', $$ … $$)`; undefined when there is none.
 * Throws a 42601 SpokeError (with the position in `sql`) for a GRAPH_TABLE
 * it cannot read.
 */
export function rewriteGraphTable(sql: string): string | undefined {
  if (!MENTIONS.test(sql)) return undefined;
  const tokens = scanSql(sql);
  let out = '';
  let changed = false;
  let k = 0;
  while (k < tokens.length) {
    const t = tokens[k]!;
    let open = k + 1;
    while (tokens[open]?.kind === 'space') open++;
    if (t.kind !== 'word' || t.text.toLowerCase() !== 'graph_table' || tokens[open]?.text !== '(') {
      out += t.text;
      k++;
      continue;
    }
    const close = matching(tokens, open);
    const position = t.start + 1;
    if (close < 0) throw cypherSyntaxError('GRAPH_TABLE ( without its closing parenthesis', position);
    const inner = tokens.slice(open + 1, close);
    const significant = inner.filter((x) => x.kind !== 'space' && x.kind !== 'comment');
    const graphToken = significant[0];
    if (!graphToken || (graphToken.kind !== 'word' && graphToken.kind !== 'identifier'))
      throw cypherSyntaxError(
        'GRAPH_TABLE (graph MATCH … COLUMNS (…)) expects the graph name first',
        position,
      );
    const graph =
      graphToken.kind === 'identifier' ? graphToken.text.slice(1, -1).replaceAll('""', '"') : graphToken.text;
    const rest = inner.slice(inner.indexOf(graphToken) + 1);
    const matchAt = rest.findIndex((x) => x.kind === 'word' && x.text.toLowerCase() === 'match');
    // COLUMNS ( … ) at the top level, last.
    let columnsAt = -1;
    let depth = 0;
    rest.forEach((x, i) => {
      if (x.kind === 'other' && (x.text === '(' || x.text === '[')) depth++;
      if (x.kind === 'other' && (x.text === ')' || x.text === ']')) depth--;
      if (depth === 0 && x.kind === 'word' && x.text.toLowerCase() === 'columns') columnsAt = i;
    });
    if (matchAt < 0 || rest.slice(0, matchAt).some((x) => x.kind !== 'space' && x.kind !== 'comment'))
      throw cypherSyntaxError(
        'GRAPH_TABLE (graph MATCH … COLUMNS (…)): MATCH must follow the graph name',
        position,
      );
    if (columnsAt < 0) throw cypherSyntaxError('GRAPH_TABLE needs a COLUMNS (…) clause', position);
    let columnsOpen = columnsAt + 1;
    while (rest[columnsOpen]?.kind === 'space') columnsOpen++;
    const columnsClose = rest[columnsOpen]?.text === '(' ? matching(rest, columnsOpen) : -1;
    if (
      columnsClose < 0 ||
      rest.slice(columnsClose + 1).some((x) => x.kind !== 'space' && x.kind !== 'comment')
    )
      throw cypherSyntaxError('GRAPH_TABLE: COLUMNS (…) must end the graph table', position);
    const match = shortestPaths(moveQuantifiers(cypherText(rest.slice(matchAt + 1, columnsAt)).trim()));
    const items = splitTopLevel(rest.slice(columnsOpen + 1, columnsClose)).map(returnItem);
    const cypher = `MATCH ${match} RETURN ${items.join(', ')}`;
    const tag = dollarTag(cypher);
    // $n inside the graph table are the statement's parameters: passed on after the (absent) JSON
    // parameters, so the call keeps them as parameters and the Cypher reads them as $1, $2, ….
    let highest = 0;
    inner.forEach((x, i) => {
      if (x.kind === 'other' && x.text === '$' && /^\d+$/.test(inner[i + 1]?.text ?? ''))
        highest = Math.max(highest, Number(inner[i + 1]!.text));
    });
    const positional = Array.from({ length: highest }, (_, i) => `, $${i + 1}`).join('');
    out += `cypher(${quoteLiteral(graph)}, ${tag}${cypher}${tag}${highest > 0 ? `, NULL${positional}` : ''})`;
    changed = true;
    k = close + 1;
  }
  return changed ? out : undefined;
}
