/**
 * Only reads are asked for: a generated statement must be one SELECT. The
 * engine would run a write the asker may make, so this is checked here,
 * before the planner sees it, whatever the asker's rights.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { parseSql } from '@spoke/planner';

/** Throws (`INVALID_QUERY`, SQLSTATE 25006 read_only_sql_transaction) unless `sql` is one SELECT. */
export async function checkReadOnly(sql: string): Promise<void> {
  const statements = await parseSql(sql);
  if (statements.length !== 1)
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `write exactly one SELECT statement (got ${statements.length} statements)`,
      { details: { sqlstate: '42601' } },
    );
  const kind = Object.keys(statements[0]!.node)[0];
  if (kind !== 'SelectStmt')
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      `only a SELECT may be asked for; the model wrote a ${kind?.replace(/Stmt$/, '').toUpperCase() ?? 'statement'} statement, which is refused`,
      { details: { sqlstate: '25006' } },
    );
  if (JSON.stringify(statements[0]!.node).includes('"intoClause"'))
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      'only reads may be asked for; SELECT … INTO creates a table and is refused',
      {
        details: { sqlstate: '25006' },
      },
    );
  // A data-modifying WITH (`WITH d AS (DELETE …) SELECT …`) is a write too.
  if (/"(InsertStmt|UpdateStmt|DeleteStmt|MergeStmt)"/.test(JSON.stringify(statements[0]!.node)))
    throw new SpokeError(
      ErrorCode.INVALID_QUERY,
      'only reads may be asked for; the query contains a write in a WITH clause',
      {
        details: { sqlstate: '25006' },
      },
    );
}
