/**
 * A table's columns as one string — names, Arrow types, nullability and
 * field metadata — so a cached plan can tell whether the table it was bound
 * against still looks the same (the catalog may hand back a new, equal
 * Schema object after its cache expires: the plan stays valid).
 */
import type { Schema } from '@spoke/core';

const signatures = new WeakMap<Schema, string>();

/** The signature of `schema`, computed once per Schema object. */
export function schemaSignature(schema: Schema): string {
  let signature = signatures.get(schema);
  if (signature === undefined) {
    signature = JSON.stringify(
      schema.fields.map((f) => [
        f.name,
        String(f.type),
        f.nullable,
        [...(f.metadata ?? new Map<string, string>()).entries()].sort(),
      ]),
    );
    signatures.set(schema, signature);
  }
  return signature;
}
