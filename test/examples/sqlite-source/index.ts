import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ErrorCode, SpokeError } from '@spoke/core';
import { defineConnector, parseOptions } from '@spoke/sdk';
import initSqlJs from 'sql.js';
import { SqliteConnector } from './sqlite-connector.js';

/** The options of a `sqlite` source: the database file, read into memory when the source starts. */
export const OPTIONS = {
  path: {
    type: 'string',
    required: true,
    description: 'the SQLite database file, relative to the config file',
  },
} as const;

/**
 * A SQLite source on the SQL-source toolkit, written as a third-party author
 * would (the example): SQLite folds case in ASCII only and has no
 * date type, which the dialect's `renderExpression` handles.
 */
export const connector = defineConnector({
  name: 'sqlite',
  options: OPTIONS,
  capabilities: {
    filters: 'exact',
    limit: true,
    topN: true,
    // What the dialect declines (see SqliteDialect.renderExpression), so the kit does not ask for it exactly.
    exclude: [
      'upper(*)',
      'lower(*)',
      'ilike(*)',
      'round(*)',
      'ceil(*)',
      'floor(*)',
      '%(*)',
      '/(*)',
      'concat(*)',
    ],
  },
  async create(options, context) {
    const { path } = parseOptions(options, OPTIONS, context);
    const file = resolve(context.baseDir, path);
    const bytes = await readFile(file).catch((error: Error) => {
      throw new SpokeError(
        ErrorCode.SOURCE_UNAVAILABLE,
        `cannot read the SQLite database ${file}: ${error.message}`,
        {
          source: context.sourceName,
          cause: error,
        },
      );
    });
    const SQL = await initSqlJs();
    return new SqliteConnector(context.sourceName, new SQL.Database(bytes));
  },
});
export default connector;
