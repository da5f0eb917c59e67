/**
 * The answers to the Flight SQL metadata commands, as Arrow record batches
 * with the schemas the specification fixes. Spoke's `source.schema.table`
 * maps to Flight SQL's catalog, db_schema and table.
 */
import { arrow, type DataType, type Field, type RecordBatch, type Schema } from '@spoke/core';
import type { CatalogTable } from '@spoke/planner';
import type { CommandGetDbSchemas, CommandGetTables } from './flight-messages.js';
import { encodeSchema } from './ipc-messages.js';

/** Every Spoke table is reported with this table type. */
export const TABLE_TYPE = 'TABLE';

function utf8(name: string, nullable: boolean): Field {
  return new arrow.Field(name, new arrow.Utf8(), nullable);
}

/** A record batch from whole columns of plain values. */
function batchOf(fields: readonly Field[], columns: readonly (readonly unknown[])[]): RecordBatch {
  const length = columns[0]?.length ?? 0;
  const children = fields.map(
    (field, i) => arrow.vectorFromArray(columns[i] as unknown[], field.type as DataType).data[0]!,
  );
  const data = arrow.makeData({ type: new arrow.Struct(fields as Field[]), length, nullCount: 0, children });
  return new arrow.RecordBatch(new arrow.Schema(fields as Field[]), data);
}

/**
 * A Flight SQL search pattern (`%` any run of characters, `_` one character,
 * no escape character) as a matcher; an absent pattern matches everything.
 */
export function patternMatcher(pattern: string | undefined): (value: string) => boolean {
  if (pattern === undefined) return () => true;
  const source = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `CommandGetCatalogs`: `<catalog_name: utf8 not null>`, one row per source. */
export const CATALOGS_SCHEMA: Schema = new arrow.Schema([utf8('catalog_name', false)]);

/** The catalogs (the sources that hold tables), ordered by name. */
export function catalogsBatch(tables: readonly CatalogTable[]): RecordBatch {
  const names = [...new Set(tables.map((t) => t.source))].sort(byName);
  return batchOf(CATALOGS_SCHEMA.fields, [names]);
}

/** `CommandGetDbSchemas`: `<catalog_name: utf8, db_schema_name: utf8 not null>`. */
export const DB_SCHEMAS_SCHEMA: Schema = new arrow.Schema([
  utf8('catalog_name', true),
  utf8('db_schema_name', false),
]);

/** The schemas of the sources that hold tables, filtered as the command asks. */
export function dbSchemasBatch(tables: readonly CatalogTable[], command: CommandGetDbSchemas): RecordBatch {
  const matches = patternMatcher(command.db_schema_filter_pattern);
  const pairs = new Map<string, [string, string]>();
  for (const t of tables) {
    if (command.catalog !== undefined && t.source !== command.catalog) continue;
    if (!matches(t.schema)) continue;
    pairs.set(`${t.source}\u0000${t.schema}`, [t.source, t.schema]);
  }
  const rows = [...pairs.values()].sort((a, b) => byName(a[0], b[0]) || byName(a[1], b[1]));
  return batchOf(DB_SCHEMAS_SCHEMA.fields, [rows.map((r) => r[0]), rows.map((r) => r[1])]);
}

/**
 * `CommandGetTables`: `<catalog_name: utf8, db_schema_name: utf8,
 * table_name: utf8 not null, table_type: utf8 not null[, table_schema: binary not null]>`.
 */
export function tablesSchema(includeSchema: boolean): Schema {
  const fields = [
    utf8('catalog_name', true),
    utf8('db_schema_name', true),
    utf8('table_name', false),
    utf8('table_type', false),
  ];
  if (includeSchema) fields.push(new arrow.Field('table_schema', new arrow.Binary(), false));
  return new arrow.Schema(fields);
}

/** The Arrow schema of one catalog table. */
export function tableArrowSchema(table: CatalogTable): Schema {
  return new arrow.Schema(table.columns.map((c) => new arrow.Field(c.name, c.type, c.nullable)));
}

/** The tables, filtered as the command asks, with their schemas (IPC-encoded) when `include_schema`. */
export function tablesBatch(tables: readonly CatalogTable[], command: CommandGetTables): RecordBatch {
  const schemaMatches = patternMatcher(command.db_schema_filter_pattern);
  const tableMatches = patternMatcher(command.table_name_filter_pattern);
  const typeAllowed = command.table_types.length === 0 || command.table_types.includes(TABLE_TYPE);
  const selected = tables
    .filter(
      (t) =>
        typeAllowed &&
        (command.catalog === undefined || t.source === command.catalog) &&
        schemaMatches(t.schema) &&
        tableMatches(t.name),
    )
    .sort((a, b) => byName(a.source, b.source) || byName(a.schema, b.schema) || byName(a.name, b.name));
  const columns: unknown[][] = [
    selected.map((t) => t.source),
    selected.map((t) => t.schema),
    selected.map((t) => t.name),
    selected.map(() => TABLE_TYPE),
  ];
  if (command.include_schema) columns.push(selected.map((t) => encodeSchema(tableArrowSchema(t))));
  return batchOf(tablesSchema(command.include_schema).fields, columns);
}

/** `CommandGetTableTypes`: `<table_type: utf8 not null>`. */
export const TABLE_TYPES_SCHEMA: Schema = new arrow.Schema([utf8('table_type', false)]);

/** The one table type Spoke has. */
export function tableTypesBatch(): RecordBatch {
  return batchOf(TABLE_TYPES_SCHEMA.fields, [[TABLE_TYPE]]);
}
