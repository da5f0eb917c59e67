/**
 * What the caller may see of the federated catalog: denied sources, schemas,
 * tables and columns are left out (they do not exist for the caller), and
 * masked columns show the type the mask gives them.
 */
import { arrow, type QueryContext } from '@spoke/core';
import type { SourceRegistry } from '../binder/source-registry.js';
import type { CatalogTable } from '../engine-api.js';
import type { SecurityPolicy } from './security-policy.js';

/**
 * `tables` as `context` may see them. Pass the engine's `registry` so that
 * `source.table` rules match exactly as in queries (the source's default
 * schema); without it they match a table of that name in any schema, which
 * hides more, never less.
 */
export function filterCatalog(
  tables: readonly CatalogTable[],
  policy: SecurityPolicy | undefined,
  context: Pick<QueryContext, 'roles'>,
  registry?: SourceRegistry,
): CatalogTable[] {
  if (!policy || policy.rules.length === 0) return [...tables];
  const out: CatalogTable[] = [];
  for (const t of tables) {
    const defaultSchema = registry?.sources.get(t.source)?.catalog.defaultSchema;
    const rules = policy.tableRules(
      {
        source: t.source,
        schema: t.schema,
        table: t.name,
        ...(defaultSchema !== undefined ? { defaultSchema } : {}),
      },
      context,
    );
    if (rules.denied) continue;
    const columns = t.columns.flatMap((c) => {
      const effect = rules.column(c.name);
      if (effect.kind === 'deny') return [];
      if (effect.kind === 'mask' && effect.mask !== 'null') return [{ ...c, type: new arrow.Utf8() }];
      return [c];
    });
    if (columns.length === 0) continue;
    out.push({ ...t, columns });
  }
  return out;
}
