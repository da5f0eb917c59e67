import { text } from 'node:stream/consumers';
import { UsageError } from './usage-error.js';

/** The single SQL argument of `query`/`explain`; `-` reads it from standard input. */
export async function readSqlArgument(positionals: string[], command: string): Promise<string> {
  if (positionals.length === 0)
    throw new UsageError(
      'missing the SQL to run (quote it as one argument, or give - to read standard input)',
      command,
    );
  if (positionals.length > 1)
    throw new UsageError(
      `expected the SQL as one argument, got ${positionals.length}: quote the whole statement`,
      command,
    );
  const sql = positionals[0] === '-' ? await text(process.stdin) : (positionals[0] as string);
  if (sql.trim() === '') throw new UsageError('the SQL is empty', command);
  return sql;
}
