/**
 * `FETCH FIRST n ROWS WITH TIES` keeps the rows that tie with the last one;
 * DuckDB has no such clause, and the SQL it is given would read as a plain
 * `LIMIT n` — fewer rows than PostgreSQL returns. Where DuckDB would run it
 * (the residual, statements without FROM), it is refused with 0A000; a
 * statement a PostgreSQL source answers whole keeps it.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { AstNode } from '../parse/ast.js';

/**
 * Throws 0A000 when `node` is a SELECT with `FETCH FIRST … WITH TIES`;
 * called for every node of the walk that already rewrites the statement.
 */
export function refuseWithTies(node: AstNode): void {
  if (node.limitOption === 'LIMIT_OPTION_WITH_TIES') {
    throw new SpokeError(
      ErrorCode.UNSUPPORTED,
      'FETCH FIRST … WITH TIES is not supported here: use rank() OVER (ORDER BY …) <= n in a sub-query',
      { details: { sqlstate: '0A000' } },
    );
  }
}
