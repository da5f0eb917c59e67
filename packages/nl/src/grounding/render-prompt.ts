/**
 * The messages sent to the chat model: a system message with the rules, the
 * dialect's extras and the grounded catalog, then the question. Everything
 * in it comes from the grounded catalog — what the asker may see — and from
 * fixed text; nothing else about the sources is ever rendered.
 */
import type { ChatMessage } from '../providers/chat-model.js';
import type { GroundedTable } from './grounded-catalog.js';
import { inferJoinPaths } from './join-paths.js';
import { graphJoinPaths, type PromptGraph, renderGraphs } from './prompt-graphs.js';

/** What else the prompt says. */
export interface PromptOptions {
  /** `embed('text')` is available (an embeddings model is configured). */
  readonly embed: boolean;
  /** The catalog was cut down to the most relevant tables. */
  readonly truncatedFrom?: number;
  /** Property graphs to mention (shown as far as `visible` holds their tables). */
  readonly graphs?: ReadonlyMap<string, PromptGraph>;
  /** Every table the asker may see (default: the tables shown), for deciding which graph parts to show. */
  readonly visible?: readonly GroundedTable[];
}

/** `1234567` → `about 1,200,000`: the model needs the size, not the digits. */
function approximately(rows: number): string {
  if (rows < 1000) return String(rows);
  const digits = Math.floor(Math.log10(rows)) - 1;
  const rounded = Math.round(rows / 10 ** digits) * 10 ** digits;
  return `about ${rounded.toLocaleString('en-US')}`;
}

/** A comment on one line (the prompt lists one column per line). */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const RULES = `You write SQL for Spoke, a federated SQL gateway that speaks the PostgreSQL dialect.
Answer the user's question with exactly one read-only query: a single SELECT (WITH … SELECT is fine).
Never write INSERT, UPDATE, DELETE, CREATE, DROP, COPY, SET or any other statement.
Use only the tables and columns listed below, named as listed (source.schema.table); there are no others.
Columns marked MASKED return masked values (hashes, redactions): do not filter, join or group on them expecting real values.
Tables marked AGGREGATE-ONLY can only be read through aggregates (count, sum, avg, min, max) over groups, never as single rows.
Reply with the query in one fenced block:
\`\`\`sql
SELECT …
\`\`\``;

function dialectNotes(embed: boolean): string {
  const lines = [
    'Spoke extras beyond PostgreSQL:',
    "- vector distance: `embedding <-> '[0.1, 0.2, …]'` (L2), `<=>` (cosine), `<#>` (negative inner product); nearest first with `ORDER BY distance LIMIT k`.",
    "- full-text match: `body @@ 'words'` (every word, whole-word, case-insensitive).",
    "- hybrid ranking: `ORDER BY rrf(embedding <-> '[…]', body @@ 'words') DESC LIMIT k` on one table.",
    '- time travel on versioned (Lance) tables: `FROM source.table(version => 3)`.',
  ];
  if (embed)
    lines.push(
      "- `embed('some text')` is the embedding of that text, for vector search: `ORDER BY embedding <-> embed('machine learning') LIMIT 10`.",
    );
  return lines.join('\n');
}

/** One table as the prompt lists it. */
export function renderTable(table: GroundedTable): string {
  const marks = [table.aggregateOnly ? ' AGGREGATE-ONLY' : ''].join('');
  const about: string[] = [];
  if (table.comment) about.push(oneLine(table.comment));
  if (table.rows !== undefined) about.push(`${approximately(table.rows)} rows`);
  const columns = table.columns.map((c) => {
    const notes: string[] = [];
    if (c.comment) notes.push(oneLine(c.comment));
    if (c.masked) notes.push('MASKED');
    if (c.samples.length > 0)
      notes.push(`e.g. ${c.samples.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ')}`);
    return `  ${c.name} ${c.type}${notes.length > 0 ? ` -- ${notes.join('; ')}` : ''}`;
  });
  return `TABLE ${table.qualified}${marks}${about.length > 0 ? ` -- ${about.join('; ')}` : ''} (\n${columns.join(',\n')}\n)`;
}

/** The system message and the question. */
export function renderPrompt(
  question: string,
  tables: readonly GroundedTable[],
  options: PromptOptions,
): ChatMessage[] {
  // Keys the graph definitions declare first, then the ones column names suggest.
  const joins = [...graphJoinPaths(options.graphs, tables), ...inferJoinPaths(tables)].filter(
    (j, i, all) => all.findIndex((k) => k.left === j.left && k.right === j.right) === i,
  );
  const parts = [RULES, dialectNotes(options.embed)];
  const listed =
    options.truncatedFrom !== undefined
      ? `Tables (the ${tables.length} most relevant of ${options.truncatedFrom}):`
      : 'Tables:';
  parts.push(
    tables.length > 0
      ? `${listed}\n${tables.map(renderTable).join('\n')}`
      : 'Tables: none are visible to this user.',
  );
  if (joins.length > 0)
    parts.push(
      `Likely join paths (from graph keys and column names):\n${joins.map((j) => `- ${j.left} = ${j.right}`).join('\n')}`,
    );
  const graphs = renderGraphs(options.graphs, options.visible ?? tables);
  if (graphs) parts.push(graphs);
  return [
    { role: 'system', content: parts.join('\n\n') },
    { role: 'user', content: question },
  ];
}
