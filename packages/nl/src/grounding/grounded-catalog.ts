/**
 * The catalog as the prompt shows it: only what the asker may see, with the
 * policy's marks, SQL type names, and the sample values that were allowed.
 */
import { type DataType, formatScalarType, fromArrowType } from '@spoke/core';
import type { CatalogTable } from '@spoke/planner';
import type { TableAnnotation, TableAnnotator } from './table-annotations.js';

/** One column in the prompt. */
export interface GroundedColumn {
  readonly name: string;
  /** PostgreSQL-style type name (`bigint`, `text`, `float[8]`…). */
  readonly type: string;
  readonly masked: boolean;
  /** A few distinct values the asker can read anyway; empty where none were allowed or read. */
  samples: string[];
}

/** One table in the prompt. */
export interface GroundedTable {
  readonly source: string;
  readonly schema: string;
  readonly name: string;
  /** How SQL names it: `source.schema.table`, each part quoted when it needs to be. */
  readonly qualified: string;
  readonly aggregateOnly: boolean;
  readonly rowFiltered: boolean;
  readonly columns: readonly GroundedColumn[];
}

/** An identifier as SQL must write it: bare when it is lower-case and plain, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A type as a PostgreSQL-speaking model reads it. */
export function sqlTypeName(type: DataType): string {
  const scalar = fromArrowType(type);
  if (scalar) return formatScalarType(scalar);
  // Vectors (Lance embeddings) are fixed-size lists of floats: `float[8]`.
  const inner = (type as { children?: { type: DataType }[] }).children?.[0]?.type;
  const size = (type as { listSize?: number }).listSize;
  if (inner !== undefined) return `${sqlTypeName(inner)}[${size ?? ''}]`;
  return String(type).toLowerCase();
}

const NO_MARKS: TableAnnotation = { aggregateOnly: false, rowFiltered: false, maskedColumns: new Set() };

/** `tables` (already filtered by the asker's policies) with the annotator's marks. */
export function groundCatalog(tables: readonly CatalogTable[], annotate?: TableAnnotator): GroundedTable[] {
  return tables.map((t) => {
    const marks = annotate?.(t) ?? NO_MARKS;
    return {
      source: t.source,
      schema: t.schema,
      name: t.name,
      qualified: [t.source, t.schema, t.name].map(quoteIdent).join('.'),
      aggregateOnly: marks.aggregateOnly,
      rowFiltered: marks.rowFiltered,
      columns: t.columns.map((c) => ({
        name: c.name,
        type: sqlTypeName(c.type),
        masked: marks.maskedColumns.has(c.name.toLowerCase()),
        samples: [],
      })),
    };
  });
}
