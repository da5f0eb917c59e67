/**
 * Reads `POST /v1/query`'s JSON answer as it streams —
 * `{"columns":[…],"rows":[[…],[…],…]}` (and `"error":{…}` when the query
 * failed after rows were sent) — handing over rows as each one completes,
 * so the grid fills while the query runs.
 */

export interface StreamedAnswer {
  readonly columns: readonly { name: string; type: string }[];
  readonly error?: { code: string; message: string };
}

/** Splits the body into rows as it arrives; see the file comment. */
export async function readRows(
  body: ReadableStream<Uint8Array>,
  onColumns: (columns: StreamedAnswer['columns']) => void,
  onRows: (rows: unknown[][]) => void,
): Promise<StreamedAnswer> {
  const reader = decoded(body);
  let text = '';
  let columns: StreamedAnswer['columns'] | undefined;
  let pos = 0; // where scanning resumes
  let rowStart = -1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let rowsOpen = false;
  let tail = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
    if (!columns) {
      const marker = text.indexOf(',"rows":[');
      if (marker < 0) continue;
      columns = (JSON.parse(`${text.slice(0, marker)}}`) as { columns: StreamedAnswer['columns'] }).columns;
      onColumns(columns);
      text = text.slice(marker + ',"rows":['.length);
      pos = 0;
      rowsOpen = true;
    }
    if (!rowsOpen) {
      tail += value;
      continue;
    }
    const rows: unknown[][] = [];
    for (; pos < text.length; pos++) {
      const c = text[pos]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '[' || c === '{') {
        if (depth === 0) rowStart = pos;
        depth++;
      } else if (c === ']' || c === '}') {
        if (depth === 0) {
          // the end of "rows": what follows is `}` or `,"error":{…}}`
          rowsOpen = false;
          tail = text.slice(pos + 1);
          break;
        }
        depth--;
        if (depth === 0) rows.push(JSON.parse(text.slice(rowStart, pos + 1)) as unknown[]);
      }
    }
    if (rows.length > 0) onRows(rows);
    if (depth === 0) {
      text = text.slice(pos);
      pos = 0;
    }
  }
  if (!columns) throw new Error('the answer ended before its columns');
  const end = JSON.parse(`{${tail.replace(/^,/, '')}`) as { error?: StreamedAnswer['error'] };
  return { columns, ...(end.error ? { error: end.error } : {}) };
}

/** The body's text as it arrives (UTF-8 sequences split across chunks are kept whole). */
function decoded(body: ReadableStream<Uint8Array>): { read(): Promise<{ done: boolean; value?: string }> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  return {
    async read() {
      const { done, value } = await reader.read();
      return done
        ? { done: true, value: decoder.decode() }
        : { done: false, value: decoder.decode(value, { stream: true }) };
    },
  };
}
