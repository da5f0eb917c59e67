/**
 * Quoting for the SQL the compiler writes. Every name and value that came
 * from a user (query text, parameters, config) goes through one of these:
 * nothing is concatenated into SQL unquoted.
 */

/** A PostgreSQL identifier, always double-quoted (keeps case, escapes quotes). */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error('identifier contains a NUL character');
  return `"${name.replaceAll('"', '""')}"`;
}

/** A PostgreSQL string literal (standard_conforming_strings: only quotes are doubled). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('string contains a NUL character');
  return `'${value.replaceAll("'", "''")}'`;
}

/** `source.schema.table` from the config → `"source"."schema"."table"`. */
export function quoteTable(table: string): string {
  return table.split('.').map(quoteIdent).join('.');
}

/** `alias."column"`. */
export function column(alias: string, name: string): string {
  return `${alias}.${quoteIdent(name)}`;
}
