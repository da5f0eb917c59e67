import type { QueryResult } from '@spoke/planner';
import { batchRows } from './batch-rows.js';
import type { TextOutput } from './text-output.js';

/**
 * One CSV field (RFC 4180). NULL is an empty unquoted field and the empty
 * string is `""`, as PostgreSQL's `COPY … CSV` writes them, so the two stay
 * distinguishable.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  if (text === '' || /[",\r\n]/.test(text) || text.trim() !== text) return `"${text.replaceAll('"', '""')}"`;
  return text;
}

/** Writes a header line and the rows as CSV (CRLF line ends, per RFC 4180), as they arrive. */
export async function writeCsvRows(result: QueryResult, write: TextOutput): Promise<number> {
  await write(`${result.schema.fields.map((f) => csvField(f.name)).join(',')}\r\n`);
  let count = 0;
  for await (const batch of result.batches) {
    let chunk = '';
    for (const values of batchRows(batch, 'text')) {
      chunk += `${values.map(csvField).join(',')}\r\n`;
      count++;
    }
    if (chunk !== '') await write(chunk);
  }
  return count;
}
