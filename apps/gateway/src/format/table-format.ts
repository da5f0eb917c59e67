import { arrow, type DataType } from '@spoke/core';
import type { QueryResult } from '@spoke/planner';
import { batchRows } from './batch-rows.js';
import type { TextOutput } from './text-output.js';

function isNumeric(type: DataType): boolean {
  const t = arrow.Type;
  return type.typeId === t.Int || type.typeId === t.Float || type.typeId === t.Decimal;
}

/** Display width of a string: code points, so accented names line up. */
function width(text: string): number {
  return [...text].length;
}

/**
 * Writes the rows as an aligned table like psql's, numbers right-aligned,
 * followed by `(N rows)`. It must see every row to size the columns, so it
 * holds the whole result: use `--format csv` or `json` for big results.
 */
export async function writeTableRows(result: QueryResult, write: TextOutput): Promise<number> {
  const fields = result.schema.fields;
  const rows: string[][] = [];
  for await (const batch of result.batches) {
    for (const values of batchRows(batch, 'text'))
      rows.push(values.map((v) => (v === null ? '' : String(v).replaceAll('\n', '\\n'))));
  }
  if (fields.length === 0) {
    await write(`${result.command}\n`);
    return rows.length;
  }
  const widths = fields.map((f, c) => Math.max(width(f.name), ...rows.map((r) => width(r[c] as string))));
  const right = fields.map((f) => isNumeric(f.type));
  const center = (text: string, w: number) => {
    const left = Math.floor((w - width(text)) / 2);
    return `${' '.repeat(left)}${text}${' '.repeat(w - width(text) - left)}`;
  };
  const cell = (text: string, c: number) => {
    const fill = ' '.repeat((widths[c] as number) - width(text));
    return right[c] ? `${fill}${text}` : `${text}${fill}`;
  };
  let out = `${fields.map((f, c) => ` ${center(f.name, widths[c] as number)} `).join('|')}\n`;
  out += `${widths.map((w) => '-'.repeat(w + 2)).join('+')}\n`;
  for (const row of rows)
    out += `${row
      .map((v, c) => ` ${cell(v, c)} `)
      .join('|')
      .trimEnd()}\n`;
  out += `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})\n`;
  await write(out);
  return rows.length;
}
