import { ErrorCode, type SpokeCatalog, SpokeError, type SpokeTable } from '@spoke/core';

/**
 * A catalog whose tables are known up front (files, fixtures, a fixed list):
 * schemas map to tables by exact name.
 */
export class StaticCatalog implements SpokeCatalog {
  readonly #schemas: Map<string, Map<string, SpokeTable>>;

  constructor(
    readonly defaultSchema: string,
    schemas: Readonly<Record<string, readonly SpokeTable[]>>,
  ) {
    this.#schemas = new Map(
      Object.entries(schemas).map(([schema, tables]) => [schema, new Map(tables.map((t) => [t.name, t]))]),
    );
    if (!this.#schemas.has(defaultSchema)) this.#schemas.set(defaultSchema, new Map());
  }

  async listSchemas(): Promise<readonly string[]> {
    return [...this.#schemas.keys()];
  }

  async listTables(schema: string): Promise<readonly string[]> {
    const tables = this.#schemas.get(schema);
    if (!tables) throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `schema "${schema}" does not exist`);
    return [...tables.keys()];
  }

  async getTable(schema: string, table: string): Promise<SpokeTable | undefined> {
    return this.#schemas.get(schema)?.get(table);
  }
}
