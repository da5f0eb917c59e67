/**
 * What the prompt says about a table besides its columns: the operator's
 * comments (the `nl.comments` config: tables and columns described in words
 * the model can use) and its approximate row count, read from the source
 * (`SpokeTable.estimateRows`, else its statistics). A row count is left out
 * for a table the asker sees through a row filter: the total would tell them
 * how many rows they cannot see.
 */
import type { GroundedTable } from './grounded-catalog.js';

/** The comments on one table: on the table itself and on some of its columns. */
export interface TableComments {
  readonly table?: string;
  /** By column name. */
  readonly columns?: Readonly<Record<string, string>>;
}

/** A table as {@link RowCounter} is asked about it. */
export interface TableName {
  readonly source: string;
  readonly schema: string;
  readonly name: string;
}

/** The approximate row count of a table, when the source can say cheaply; undefined otherwise. */
export type RowCounter = (table: TableName, signal?: AbortSignal) => Promise<number | undefined>;

/**
 * The comments for `table` in `comments`, whose keys are `source.table` (the
 * source's default schema, or any schema when it is unknown) or
 * `source.schema.table`, compared ignoring case.
 */
export function commentsFor(
  comments: Readonly<Record<string, TableComments>>,
  table: TableName,
): TableComments | undefined {
  const full = `${table.source}.${table.schema}.${table.name}`.toLowerCase();
  const short = `${table.source}.${table.name}`.toLowerCase();
  let found: TableComments | undefined;
  for (const [key, value] of Object.entries(comments)) {
    const k = key.toLowerCase();
    if (k === full) return value;
    if (k === short) found = value;
  }
  return found;
}

/** Options of {@link addTableFacts}. */
export interface TableFactsOptions {
  readonly comments?: Readonly<Record<string, TableComments>>;
  readonly rowCount?: RowCounter;
  readonly signal?: AbortSignal;
}

/** Fills in `comment` and `rows` of `tables` (and `comment` of their columns). */
export async function addTableFacts(
  tables: readonly GroundedTable[],
  options: TableFactsOptions,
): Promise<void> {
  await Promise.all(
    tables.map(async (table) => {
      const comments = options.comments ? commentsFor(options.comments, table) : undefined;
      if (comments?.table) table.comment = comments.table;
      if (comments?.columns)
        for (const column of table.columns) {
          const entry = Object.entries(comments.columns).find(
            ([name]) => name.toLowerCase() === column.name.toLowerCase(),
          );
          if (entry) column.comment = entry[1];
        }
      if (!options.rowCount || table.rowFiltered) return;
      // A statistic is a hint: a source that cannot say (or fails to) leaves it out of the prompt.
      const rows = await options.rowCount(table, options.signal).catch(() => undefined);
      if (rows !== undefined && Number.isFinite(rows) && rows >= 0) table.rows = Math.round(rows);
    }),
  );
}
