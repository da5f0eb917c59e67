/**
 * Writes docs/sql-functions.md from the allow-list
 * (src/binder/allowed-functions.ts), so the page users read is the list the
 * binder enforces. Run from the repository root after changing the list:
 *
 *     node --import tsx packages/planner/scripts/sql-functions-doc.ts
 *
 * test/allowed-functions.test.ts fails when the page and the list differ.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ALLOWED_CALLABLES,
  ALLOWED_OPERATORS,
  type AllowedCallable,
  CURRENT_SETTINGS,
} from '../src/binder/allowed-functions.js';
import { INFO_TABLES, PG_TABLES, pgViews } from '../src/system-catalog/catalog-schema.js';

/** Where the page lives, from this file. */
export const SQL_FUNCTIONS_DOC = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../docs/sql-functions.md',
);

/** Inline code that survives a Markdown table cell (`|` must be escaped there). */
function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

const KIND_NAMES: Readonly<Record<AllowedCallable['kind'], string>> = {
  scalar: 'scalar',
  aggregate: 'aggregate',
  'ordered-set': 'ordered-set aggregate',
  window: 'window',
  'set-returning': 'set-returning',
  table: 'table (FROM)',
};

function args(spec: string): string {
  return spec
    .replace(/-/g, '–')
    .replace(/\|/g, ' or ')
    .replace(/(\d+)\+/, '$1 or more');
}

function row(c: AllowedCallable): string {
  const name = c.schema ? `${c.schema}.${c.name}` : c.name;
  const notes = [
    c.syntax ? `only as ${code(c.syntax)}` : undefined,
    c.catalogOnly ? 'system catalog' : undefined,
    c.note,
  ].filter((n) => n !== undefined);
  return `| ${code(name)} | ${KIND_NAMES[c.kind]} | ${args(c.args)} | ${code(c.example)} | ${cell(notes.join('; '))} |`;
}

/** The whole page. */
export function renderSqlFunctionsDoc(): string {
  const lines: string[] = [
    '# SQL functions',
    '',
    '<!-- Generated from packages/planner/src/binder/allowed-functions.ts by packages/planner/scripts/sql-functions-doc.ts; edit the list, then run `node --import tsx packages/planner/scripts/sql-functions-doc.ts`. -->',
    '',
    "Spoke speaks PostgreSQL's SQL, and these are the functions, table functions and operators a query may call: all of them.",
    "Anything else is refused before the query runs, with PostgreSQL's error `function read_text(unknown) does not exist`",
    '(SQLSTATE 42883) and the position of the call, whatever the engine that finishes the query (DuckDB) would have done with it:',
    'no query reads files on the gateway host, runs SQL of its own (`query()`), or looks into the engine (`duckdb_settings()`).',
    'The same rule holds in every part of a statement — select list, FROM, WHERE, sub-queries, CTEs, windows, ORDER BY,',
    'the SELECT of `INSERT` and `CREATE TABLE AS`, EXPLAIN — and whether or not the query reads tables under security policies.',
    '',
    '- Names may be qualified with `pg_catalog.` (as PostgreSQL clients and its grammar write them: `EXTRACT(…)` is',
    '  `pg_catalog.extract`); any other qualifier (`main.upper`, `system.x`) is refused the same way.',
    '- **arguments** is how many arguments a call may have; another count is refused as PostgreSQL refuses it.',
    '- Aggregates take `DISTINCT`, `ORDER BY` inside the call, `FILTER (WHERE …)` and `OVER (…)`; window functions need',
    '  `OVER`; ordered-set aggregates need `WITHIN GROUP (ORDER BY …)`; a scalar with any of these is refused (SQLSTATE 42809).',
    '- Examples of aggregates and window functions read a table `t(i integer, x double precision, s text)`.',
    "- **system catalog**: answered by Spoke's PostgreSQL system catalog, in queries without source tables, whatever",
    '  their FROM (what psql, JDBC and BI tools send); in a query over sources they are refused (SQLSTATE 0A000):',
    "  DuckDB has functions of some of these names that answer otherwise. `pg_backend_pid()` is the connection's own id.",
    '- `current_setting()` takes a constant, one of: ' + CURRENT_SETTINGS.map(code).join(', ') + '.',
    '- Casts may name any type, qualified at most with `pg_catalog.`; so may `COLLATE`. `TABLESAMPLE` takes `SYSTEM` or',
    '  `BERNOULLI`. `LIKE … ESCAPE`, `SIMILAR TO`, the SQL/JSON forms (`JSON_OBJECT`, `JSON_VALUE`, `IS JSON`…) and the XML',
    '  functions are not supported (SQLSTATE 0A000). `CASE`, `COALESCE`, `NULLIF`, `GREATEST`, `LEAST`,',
    '  `CURRENT_DATE`, `CURRENT_USER` and the other SQL keywords are always accepted.',
    "- The system relations are the ones Spoke's catalog has; another `pg_*` or `information_schema` name is",
    '  `relation "…" does not exist` (SQLSTATE 42P01).',
    '',
  ];
  for (const group of ALLOWED_CALLABLES) {
    lines.push(`## ${group.title}`, '', group.about, '');
    lines.push('| function | kind | arguments | example | notes |', '| --- | --- | --- | --- | --- |');
    for (const c of group.callables) lines.push(row(c));
    lines.push('');
  }
  lines.push('## Operators', '', 'Also as `OPERATOR(pg_catalog.op)`.', '');
  lines.push('| operator | example | meaning |', '| --- | --- | --- |');
  for (const o of ALLOWED_OPERATORS)
    lines.push(`| ${code(o.operator)} | ${code(o.example)} | ${cell(o.about)} |`);
  lines.push('');
  lines.push('## System relations', '');
  const pg = [...Object.keys(PG_TABLES), ...Object.keys(pgViews(''))].sort();
  lines.push(`\`pg_catalog\` (also unqualified): ${pg.map(code).join(', ')}.`, '');
  lines.push(`\`information_schema\`: ${Object.keys(INFO_TABLES).sort().map(code).join(', ')}.`, '');
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SQL_FUNCTIONS_DOC, renderSqlFunctionsDoc());
  console.log(`wrote ${SQL_FUNCTIONS_DOC}`);
}
