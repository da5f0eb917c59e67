/**
 * The query workbench: an SQL editor, results streamed into a grid as they
 * arrive, cancel, EXPLAIN drawn as a tree (with the rows and bytes each
 * source sent once the query has run), errors with their code and position.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, call, type ExplainPlan, errorOf, getJson } from './api.js';
import { type EdgeFigures, ExplainTree } from './explain-tree.js';
import { readRows } from './json-rows.js';
import { type CompletionSchema, createSqlEditor, type SqlEditor } from './sql-editor.js';

/** Rows drawn in the grid at most; the count covers them all. */
const SHOWN_ROWS = 2000;

const FIRST_QUERY =
  'SELECT c.region, count(*) AS orders, sum(s.amount) AS revenue\nFROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id\nGROUP BY c.region ORDER BY revenue DESC';

type Status =
  | { kind: 'idle' }
  | { kind: 'running'; started: number }
  | { kind: 'done'; ms: number }
  | { kind: 'cancelled'; ms: number }
  | {
      kind: 'error';
      code: string;
      message: string;
      sqlstate?: string | undefined;
      position?: number | undefined;
    };

function cell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function Workbench(props: { schema: CompletionSchema }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<SqlEditor | null>(null);
  const controller = useRef<AbortController | null>(null);
  const [columns, setColumns] = useState<readonly { name: string; type: string }[]>([]);
  const [rows, setRows] = useState<unknown[][]>([]);
  const [count, setCount] = useState(0);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const [plan, setPlan] = useState<ExplainPlan | null>(null);
  const [figures, setFigures] = useState<EdgeFigures | undefined>(undefined);
  const [now, setNow] = useState(Date.now());
  const runRef = useRef<() => void>(() => {});

  useEffect(() => {
    if (!host.current) return;
    editor.current = createSqlEditor(host.current, FIRST_QUERY, () => runRef.current());
    return () => editor.current?.view.destroy();
  }, []);
  useEffect(() => editor.current?.setSchema(props.schema), [props.schema]);
  useEffect(() => {
    if (status.kind !== 'running') return;
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, [status.kind]);

  const fail = (error: unknown) => {
    if (error instanceof ApiError) {
      setStatus({
        kind: 'error',
        code: error.code,
        message: error.message,
        sqlstate: error.sqlstate,
        position: error.position,
      });
      if (error.position !== undefined) editor.current?.select(error.position);
    } else setStatus({ kind: 'error', code: 'NETWORK', message: (error as Error).message });
  };

  const run = async () => {
    const sql = editor.current?.text() ?? '';
    controller.current?.abort();
    const abort = new AbortController();
    controller.current = abort;
    const started = Date.now();
    setStatus({ kind: 'running', started });
    setColumns([]);
    setRows([]);
    setCount(0);
    setFigures(undefined);
    let total = 0;
    let shown: unknown[][] = [];
    try {
      const res = await fetch(new URL('v1/query', new URL('../', window.location.href)), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...authHeader() },
        body: JSON.stringify({ sql }),
        signal: abort.signal,
      });
      if (!res.ok) throw await errorOf(res);
      const queryId = res.headers.get('x-spoke-query-id');
      const answer = await readRows(res.body!, setColumns, (batch) => {
        total += batch.length;
        if (shown.length < SHOWN_ROWS) {
          shown = shown.concat(batch.slice(0, SHOWN_ROWS - shown.length));
          setRows(shown);
        }
        setCount(total);
      });
      if (answer.error) throw new ApiError(200, answer.error.code, answer.error.message);
      setStatus({ kind: 'done', ms: Date.now() - started });
      if (queryId) {
        const progress = await getJson<{ sources: { source: string; rows: number; bytes: number }[] }>(
          `v1/queries/${encodeURIComponent(queryId)}/progress`,
        ).catch(() => undefined);
        if (progress)
          setFigures(new Map(progress.sources.map((s) => [s.source, { rows: s.rows, bytes: s.bytes }])));
      }
    } catch (error) {
      if (abort.signal.aborted) setStatus({ kind: 'cancelled', ms: Date.now() - started });
      else fail(error);
    } finally {
      if (controller.current === abort) controller.current = null;
    }
  };
  runRef.current = () => void run();

  /** EXPLAIN, or with `analyze` EXPLAIN ANALYZE (the query runs; its actual figures are drawn). */
  const explain = async (analyze = false) => {
    try {
      const res = await call('v1/explain', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: editor.current?.text() ?? '', ...(analyze ? { analyze: true } : {}) }),
      });
      setPlan((await res.json()) as ExplainPlan);
    } catch (error) {
      setPlan(null);
      fail(error);
    }
  };

  // Aborting the request cancels the query end to end (the gateway stops it when its client goes away).
  const cancel = () => controller.current?.abort();

  return (
    <section class="workbench" aria-label="Query workbench">
      <div class="editor" ref={host} />
      <div class="actions">
        <button type="button" onClick={() => void run()} disabled={status.kind === 'running'}>
          Run <kbd>Ctrl+Enter</kbd>
        </button>
        <button type="button" onClick={() => void explain()}>
          Explain
        </button>
        <button type="button" onClick={() => void explain(true)}>
          Explain analyze
        </button>
        <button type="button" onClick={cancel} disabled={status.kind !== 'running'}>
          Cancel
        </button>
        <span class="status" role="status" data-status={status.kind}>
          {status.kind === 'running'
            ? `running… ${((now - status.started) / 1000).toFixed(1)} s, ${count} rows`
            : null}
          {status.kind === 'done' ? `${count} row${count === 1 ? '' : 's'} in ${status.ms} ms` : null}
          {status.kind === 'cancelled' ? `cancelled after ${status.ms} ms` : null}
        </span>
      </div>
      {status.kind === 'error' ? (
        <div class="error" role="alert" data-code={status.code}>
          <strong>{status.code}</strong>
          {status.sqlstate ? ` (SQLSTATE ${status.sqlstate})` : ''}: {status.message}
          {status.position !== undefined ? (
            <span class="position"> at character {status.position}</span>
          ) : null}
        </div>
      ) : null}
      {plan ? <ExplainTree plan={plan} {...(figures ? { figures } : {})} /> : null}
      {columns.length > 0 ? (
        <div class="grid-wrap">
          <table class="grid" data-rows={count}>
            <thead>
              <tr>
                {columns.map((c) => (
                  <th key={c.name} title={c.type}>
                    {c.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <tr key={i}>
                  {row.map((v, j) => (
                    <td key={j}>{cell(v)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {count > rows.length ? (
            <p class="hint">
              showing the first {rows.length} of {count} rows
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

function authHeader(): Record<string, string> {
  const value = sessionStorage.getItem('spoke.authorization');
  return value ? { authorization: value } : {};
}
