/**
 * What the asker's security policies say about each visible table, for the
 * prompt: which columns are masked, whether single rows may be read. The
 * catalog (`QueryEngine.catalog`) has already left out what is denied.
 */
import type { QueryContext } from '@spoke/core';
import type { CatalogTable, TableRef, TableRules } from '@spoke/planner';

/** The policy's marks on one table. */
export interface TableAnnotation {
  /** `aggregate_only`: only aggregates over groups may be read. */
  readonly aggregateOnly: boolean;
  /** A `row_filter` applies: the asker sees some rows only (samples are read as the asker, so they respect it). */
  readonly rowFiltered: boolean;
  /** Lower-case names of masked columns: never sampled, marked in the prompt. */
  readonly maskedColumns: ReadonlySet<string>;
}

/** Marks for each table; `undefined` for a table without any. */
export type TableAnnotator = (table: CatalogTable) => TableAnnotation | undefined;

/** The part of `SecurityPolicy` the annotator consults. */
export interface PolicyRules {
  tableRules(table: TableRef, context: Pick<QueryContext, 'roles'>): TableRules;
}

/**
 * The marks `policy` gives `context` on each table.
 *
 * @param defaultSchemaOf - a source's default schema, so that `source.table`
 *   rules match exactly as in queries; without it they match a table of that
 *   name in any schema, which marks more, never less
 */
export function policyAnnotator(
  policy: PolicyRules,
  context: Pick<QueryContext, 'roles'>,
  defaultSchemaOf: (source: string) => string | undefined = () => undefined,
): TableAnnotator {
  return (table) => {
    const defaultSchema = defaultSchemaOf(table.source);
    const rules = policy.tableRules(
      {
        source: table.source,
        schema: table.schema,
        table: table.name,
        ...(defaultSchema !== undefined ? { defaultSchema } : {}),
      },
      context,
    );
    const maskedColumns = new Set(
      table.columns.filter((c) => rules.column(c.name).kind === 'mask').map((c) => c.name.toLowerCase()),
    );
    return {
      aggregateOnly: rules.aggregateOnly.length > 0,
      rowFiltered: rules.rowFilters.length > 0,
      maskedColumns,
    };
  };
}
