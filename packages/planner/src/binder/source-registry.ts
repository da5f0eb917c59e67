import {
  didYouMean,
  ErrorCode,
  type Schema,
  type SpokeConnector,
  SpokeError,
  type SpokeTable,
} from '@spoke/core';

/** A table found in a source's catalog. */
export interface ResolvedTable {
  readonly source: string;
  readonly schema: string;
  readonly table: string;
  readonly connector: SpokeConnector;
  readonly provider: SpokeTable;
  readonly arrowSchema: Schema;
}

/**
 * The configured sources by name, and table lookup with "did you mean"
 * errors. A query names a table `source.table` (the source's default schema)
 * or `source.schema.table`. Names match exactly first, then
 * case-insensitively when that is unambiguous (Snowflake folds to upper case,
 * PostgreSQL to lower case; users should not have to care).
 */
export class SourceRegistry {
  constructor(readonly sources: ReadonlyMap<string, SpokeConnector>) {}

  /** The source called `name`, or a `TABLE_NOT_FOUND` error suggesting the closest. */
  source(name: string): SpokeConnector {
    const found = this.sources.get(name) ?? this.sources.get(matchName(name, this.sources.keys()) ?? '');
    if (!found) {
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `source "${name}" does not exist${didYouMean(name, this.sources.keys())}`,
      );
    }
    return found;
  }

  /** True when `name` is a configured source. */
  has(name: string): boolean {
    return this.sources.has(name) || matchName(name, this.sources.keys()) !== undefined;
  }

  /** Resolves `source.[schema.]table`. */
  async resolve(sourceName: string, schemaName: string | undefined, tableName: string, signal?: AbortSignal): Promise<ResolvedTable> {
    const source = this.sources.has(sourceName) ? sourceName : (matchName(sourceName, this.sources.keys()) ?? sourceName);
    const connector = this.source(source);
    const catalog = connector.catalog;
    let schema = schemaName ?? catalog.defaultSchema;
    if (schemaName !== undefined) {
      const schemas = await catalog.listSchemas(signal);
      if (!schemas.includes(schemaName)) {
        const match = matchName(schemaName, schemas);
        if (!match) {
          throw new SpokeError(
            ErrorCode.TABLE_NOT_FOUND,
            `schema "${schemaName}" does not exist in source "${source}"${didYouMean(schemaName, schemas)}`,
            { source },
          );
        }
        schema = match;
      }
    }
    let table = tableName;
    let provider = await catalog.getTable(schema, table, signal);
    if (!provider) {
      const tables = await catalog.listTables(schema, signal).catch(() => [] as readonly string[]);
      const match = matchName(tableName, tables);
      if (match) {
        table = match;
        provider = await catalog.getTable(schema, match, signal);
      }
      if (!provider) {
        const qualified = schemaName === undefined ? `${source}.${tableName}` : `${source}.${schemaName}.${tableName}`;
        throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `table "${qualified}" does not exist${didYouMean(tableName, tables)}`, {
          source,
        });
      }
    }
    const arrowSchema = await provider.schema(signal);
    return { source, schema, table, connector, provider, arrowSchema };
  }

  /** `source.table` names holding a table called `name`, for errors about unqualified names. */
  async qualifiedCandidates(name: string, signal?: AbortSignal): Promise<string[]> {
    const found: string[] = [];
    for (const [source, connector] of this.sources) {
      const tables: readonly string[] = await connector.catalog
        .listTables(connector.catalog.defaultSchema, signal)
        .catch(() => [] as readonly string[]);
      if (tables.includes(name) || matchName(name, tables)) found.push(`${source}.${name}`);
    }
    return found;
  }
}

/** The one candidate equal to `name` ignoring case, or `undefined` (none or ambiguous). */
export function matchName(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const hits = [...candidates].filter((c) => c.toLowerCase() === lower);
  return hits.length === 1 ? hits[0] : undefined;
}
