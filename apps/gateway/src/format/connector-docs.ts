import {
  type ConnectorFactory,
  type PushdownCapabilities,
  SCALAR_FUNCTIONS,
  type ScalarFunctionName,
} from '@spoke/core';

/** The markers around the generated part of a connector's README. */
export const CONNECTOR_DOCS_START = '<!-- spoke connector-docs:start -->';
export const CONNECTOR_DOCS_END = '<!-- spoke connector-docs:end -->';

/** `|` and line breaks would break a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const code = (text: string) => `\`${text}\``;

/** The functions filters may use, as declared: listed, or "all" with the ones left out. */
function functionsCell(caps: PushdownCapabilities): string {
  const all = SCALAR_FUNCTIONS as readonly ScalarFunctionName[];
  const declared = caps.functions ?? all;
  if (declared.length === 0) return 'none';
  const missing = all.filter((f) => !declared.includes(f));
  if (missing.length === 0) return 'all of Spoke’s scalar functions';
  if (declared.length <= missing.length) return declared.map(code).join(', ');
  return `all but ${missing.map(code).join(', ')}`;
}

function pushdownRows(caps: PushdownCapabilities): string[][] {
  const filters =
    caps.filters === 'exact'
      ? 'yes, exactly (the source’s answer is final)'
      : caps.filters === 'inexact'
        ? 'yes, as a pre-filter (Spoke filters again)'
        : 'no: Spoke applies them';
  const rows: string[][] = [
    ['projection', 'yes'],
    ['filters', filters],
  ];
  if (caps.filters !== 'none') {
    rows.push(['functions in filters', functionsCell(caps)]);
    if (caps.operators) rows.push(['operators in filters', caps.operators.map(code).join(', ')]);
    if (caps.exclude?.length) rows.push(['kept in Spoke (by signature)', caps.exclude.map(code).join(', ')]);
  }
  rows.push(
    ['limit', caps.limit ? 'yes' : 'no: Spoke applies it'],
    ['top-N (ORDER BY … LIMIT)', caps.topN ? 'yes' : 'no: Spoke sorts'],
    [
      'whole sub-queries (joins, aggregates)',
      caps.wholeQueries ? 'yes, as one statement where the dialect declares it' : 'no',
    ],
    ['statistics', caps.statistics === undefined || caps.statistics === 'none' ? 'none' : caps.statistics],
  );
  return rows;
}

/**
 * The README sections a connector's declarations give (`ConnectorFactory.docs`):
 * the options table, the type mapping and the push-down matrix, as Markdown.
 * What the connector does not declare is said to be undeclared, not guessed.
 */
export function renderConnectorDocs(factory: ConnectorFactory): string {
  const docs = factory.docs ?? {};
  const parts: string[] = [];
  parts.push('## Options\n');
  const options = Object.entries(docs.options ?? {});
  if (options.length === 0) {
    parts.push(
      docs.options
        ? `A \`${factory.name}\` source takes no options besides \`connector: ${factory.name}\`.`
        : 'The connector declares no options (`defineConnector({ options })`).',
    );
  } else {
    parts.push(
      table(
        ['option', 'type', 'required', 'default', 'meaning'],
        options.map(([key, o]) => [
          code(key),
          o.oneOf ? o.oneOf.map((v) => code(v)).join(', ') : o.type,
          o.required ? 'yes' : 'no',
          o.default === undefined ? '—' : code(JSON.stringify(o.default)),
          o.description,
        ]),
      ),
    );
  }
  parts.push('\n## Types\n');
  if (!docs.types?.length)
    parts.push('The connector declares no type mapping (`defineConnector({ types })`).');
  else
    parts.push(
      table(
        ['source type', 'arrives as', 'note'],
        docs.types.map((t) => [code(t.source), code(t.spoke), t.note ?? '']),
      ),
    );
  parts.push('\n## Push-down\n');
  if (!docs.capabilities)
    parts.push('The connector declares no capabilities (`defineConnector({ capabilities })`).');
  else {
    parts.push(table(['what', 'pushed to the source'], pushdownRows(docs.capabilities)));
    parts.push(
      '\nThese are the capabilities the conformance kit (`@spoke/testing`) checks against DuckDB on the same rows.',
    );
  }
  return `${parts.join('\n')}\n`;
}

/**
 * `readme` with the part between {@link CONNECTOR_DOCS_START} and
 * {@link CONNECTOR_DOCS_END} replaced by `generated`.
 *
 * @throws Error when the markers are missing or out of order.
 */
export function replaceConnectorDocs(readme: string, generated: string): string {
  const start = readme.indexOf(CONNECTOR_DOCS_START);
  const end = readme.indexOf(CONNECTOR_DOCS_END);
  if (start < 0 || end < start)
    throw new Error(
      `the README has no "${CONNECTOR_DOCS_START}" … "${CONNECTOR_DOCS_END}" block to fill; add the two lines where the tables belong`,
    );
  return `${readme.slice(0, start + CONNECTOR_DOCS_START.length)}\n\n${generated}\n${readme.slice(end)}`;
}

/**
 * `text` with every Markdown table row's cells trimmed and separator cells
 * as `---`, so a README whose tables a formatter padded still compares
 * equal to the generated text.
 */
export function normalizeMarkdownTables(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (!trimmed.startsWith('|')) return line;
      const cells = trimmed
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .map((c) => (/^:?-+:?$/.test(c) ? '---' : c));
      return `| ${cells.join(' | ')} |`;
    })
    .join('\n');
}
