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
  constructor(
    readonly sources: ReadonlyMap<string, SpokeConnector>,
    /** What the caller may see; absent: everything. */
    readonly visibility?: CatalogVisibility,
  ) {}

  /**
   * The same sources as one caller sees them: what `visibility` hides does
   * not exist — every lookup, suggestion and error is the one a missing
   * table, schema or source gets, so nothing tells the two apart.
   */
  visibleTo(visibility: CatalogVisibility): SourceRegistry {
    return new SourceRegistry(this.sources, visibility);
  }

  /** The configured source names the caller may see. */
  visibleSourceNames(): string[] {
    return [...this.sources.keys()].filter((s) => this.visibility?.source(s) ?? true);
  }

  /** The configured name of source `name` (exact, else the one case-insensitive match), when the caller may see it. */
  private sourceName(name: string): string | undefined {
    const found = this.sources.has(name) ? name : matchName(name, this.sources.keys());
    return found !== undefined && (this.visibility?.source(found) ?? true) ? found : undefined;
  }

  /** The source called `name`, or a `TABLE_NOT_FOUND` error suggesting the closest. */
  source(name: string): SpokeConnector {
    const found = this.sourceName(name);
    if (found === undefined) {
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `source "${name}" does not exist${didYouMean(name, this.visibleSourceNames())}`,
      );
    }
    return this.sources.get(found)!;
  }

  /** True when `name` is a configured source the caller may see. */
  has(name: string): boolean {
    return this.sourceName(name) !== undefined;
  }

  /** The schemas of `source` the caller may see. */
  private async visibleSchemas(source: string, signal?: AbortSignal): Promise<readonly string[]> {
    const schemas = await this.sources.get(source)!.catalog.listSchemas(signal);
    const visibility = this.visibility;
    return visibility ? schemas.filter((s) => visibility.schema(source, s)) : schemas;
  }

  /** The tables of `source.schema` the caller may see; `[]` when they cannot be listed. */
  private async visibleTables(
    source: string,
    schema: string,
    signal?: AbortSignal,
  ): Promise<readonly string[]> {
    const tables = await this.sources
      .get(source)!
      .catalog.listTables(schema, signal)
      .catch(() => [] as readonly string[]);
    const visibility = this.visibility;
    return visibility ? tables.filter((t) => visibility.table(source, schema, t)) : tables;
  }

  /** Resolves `source.[schema.]table`. */
  async resolve(
    sourceName: string,
    schemaName: string | undefined,
    tableName: string,
    signal?: AbortSignal,
  ): Promise<ResolvedTable> {
    const source = this.sourceName(sourceName) ?? sourceName;
    const connector = this.source(source);
    const catalog = connector.catalog;
    let schema = schemaName ?? catalog.defaultSchema;
    if (schemaName !== undefined) {
      const schemas = await this.visibleSchemas(source, signal);
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
    const visible = (table: string) => this.visibility?.table(source, schema, table) ?? true;
    let table = tableName;
    let provider = visible(table) ? await catalog.getTable(schema, table, signal) : undefined;
    if (!provider) {
      const tables = await this.visibleTables(source, schema, signal);
      const match = matchName(tableName, tables);
      if (match) {
        table = match;
        provider = await catalog.getTable(schema, match, signal);
      }
      if (!provider) {
        const qualified =
          schemaName === undefined ? `${source}.${tableName}` : `${source}.${schemaName}.${tableName}`;
        throw new SpokeError(
          ErrorCode.TABLE_NOT_FOUND,
          `table "${qualified}" does not exist${didYouMean(tableName, tables)}`,
          { source },
        );
      }
    }
    const arrowSchema = await provider.schema(signal);
    return { source, schema, table, connector, provider, arrowSchema };
  }

  /** `source.table` names holding a table called `name` that the caller may see, for errors about unqualified names. */
  async qualifiedCandidates(name: string, signal?: AbortSignal): Promise<string[]> {
    const found: string[] = [];
    for (const source of this.visibleSourceNames()) {
      const tables = await this.visibleTables(
        source,
        this.sources.get(source)!.catalog.defaultSchema,
        signal,
      );
      if (tables.includes(name) || matchName(name, tables)) found.push(`${source}.${name}`);
    }
    return found;
  }
}

/**
 * What one caller may see of the sources (security policies' `deny`). A
 * hidden source, schema or table is, for that caller, one that does not exist.
 */
export interface CatalogVisibility {
  /** False when the whole source is hidden. */
  source(source: string): boolean;
  /** False when the schema (or its source) is hidden. */
  schema(source: string, schema: string): boolean;
  /** False when the table (or its schema or source) is hidden. */
  table(source: string, schema: string, table: string): boolean;
}

/** The one candidate equal to `name` ignoring case, or `undefined` (none or ambiguous). */
export function matchName(name: string, candidates: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const hits = [...candidates].filter((c) => c.toLowerCase() === lower);
  return hits.length === 1 ? hits[0] : undefined;
}
