import type { QueryResult } from '@spoke/planner';
import { batchRows } from './batch-rows.js';
import type { TextOutput } from './text-output.js';

/**
 * Writes the rows as a JSON array of objects keyed by column name, one object
 * per line, as they arrive. Values follow the JSON column of the table in
 * `value-reader.ts`. When two columns share a name, the later one wins in the
 * object: alias them to keep both.
 */
export async function writeJsonRows(result: QueryResult, write: TextOutput): Promise<number> {
  const names = result.schema.fields.map((f) => f.name);
  let count = 0;
  await write('[');
  for await (const batch of result.batches) {
    let chunk = '';
    for (const values of batchRows(batch, 'json')) {
      const row: Record<string, unknown> = {};
      names.forEach((name, i) => {
        row[name] = values[i];
      });
      chunk += `${count === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
      count++;
    }
    if (chunk !== '') await write(chunk);
  }
  await write(count === 0 ? ']\n' : '\n]\n');
  return count;
}
