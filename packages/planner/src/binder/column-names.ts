import type { Schema } from '@spoke/core';

/** The schema's field name equal to `name`, exactly or else case-insensitively when unambiguous. */
export function findColumn(schema: Schema, name: string): string | undefined {
  const names = schema.fields.map((f) => f.name);
  if (names.includes(name)) return name;
  const lower = name.toLowerCase();
  const hits = names.filter((n) => n.toLowerCase() === lower);
  return hits.length === 1 ? hits[0] : undefined;
}
