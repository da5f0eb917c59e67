/**
 * The catalog as the prompt shows it: only what the asker may see, with the
 * policy's marks, SQL type names, and the sample values that were allowed.
 */
import { arrow, type DataType, formatScalarType, fromArrowType } from '@spoke/core';
import type { CatalogTable } from '@spoke/planner';
import type { TableAnnotation, TableAnnotator } from './table-annotations.js';

/** One column in the prompt. */
export interface GroundedColumn {
  readonly name: string;
  /** PostgreSQL-style type name (`bigint`, `text`, `real[8]`…). */
  readonly type: string;
  readonly masked: boolean;
  /** A few distinct values the asker can read anyway; empty where none were allowed or read. */
  samples: string[];
  /** The operator's comment on the column (`nl.comments`). */
  comment?: string;
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
  /** The operator's comment on the table (`nl.comments`). */
  comment?: string;
  /** About how many rows the table has (absent when unknown, or when a row filter applies to the asker). */
  rows?: number;
}

/** An identifier as SQL must write it: bare when it is lower-case and plain, else double-quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const PG_NAMES: Readonly<Record<string, string>> = {
  null: 'unknown',
  bool: 'boolean',
  int8: 'smallint',
  int16: 'smallint',
  int32: 'integer',
  int64: 'bigint',
  uint8: 'smallint',
  uint16: 'integer',
  uint32: 'bigint',
  uint64: 'numeric(20,0)',
  float32: 'real',
  float64: 'double precision',
  utf8: 'text',
  binary: 'bytea',
  date: 'date',
  time: 'time',
  timestamp: 'timestamp',
  interval: 'interval',
};

/** A type as a PostgreSQL-speaking model reads it (`bigint`, `text`, `numeric(12,2)`, `real[8]` for a vector). */
export function sqlTypeName(type: DataType): string {
  if (type.typeId === arrow.Type.Dictionary)
    return sqlTypeName((type as unknown as { dictionary: DataType }).dictionary);
  const scalar = fromArrowType(type);
  if (scalar?.id === 'decimal') return `numeric(${scalar.precision},${scalar.scale})`;
  if (scalar?.id === 'timestamp') return scalar.timezone ? 'timestamp with time zone' : 'timestamp';
  if (scalar && scalar.id !== 'list') return PG_NAMES[scalar.id] ?? formatScalarType(scalar);
  // Lists and vectors (Lance embeddings are fixed-size lists of floats): `real[8]`.
  const inner = (type as unknown as { children?: { type: DataType }[] }).children?.[0]?.type;
  if (inner !== undefined) {
    const size = (type as unknown as { listSize?: number }).listSize;
    return `${sqlTypeName(inner)}[${size ?? ''}]`;
  }
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
