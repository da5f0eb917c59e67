/**
 * The SQL in a model's answer, whichever way the model gave it: a `run_sql`
 * tool call, a fenced ```sql block, a JSON object with an `sql` member, or
 * (small local models do this) the bare statement.
 */
import type { ChatReply } from '../providers/chat-model.js';

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)```/g;

function fromJson(text: string): string | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const value = JSON.parse(text.slice(start, end + 1)) as { sql?: unknown };
    return typeof value.sql === 'string' ? value.sql : undefined;
  } catch {
    return undefined;
  }
}

/** Trims whitespace and a trailing `;` (one statement is expected, and the planner counts statements). */
function tidy(sql: string): string {
  return sql.trim().replace(/;\s*$/, '').trim();
}

/** The SQL of `reply`, or `undefined` when it holds none. */
export function extractSql(reply: Pick<ChatReply, 'content' | 'toolSql'>): string | undefined {
  if (reply.toolSql !== undefined && reply.toolSql.trim() !== '') return tidy(reply.toolSql);
  const text = reply.content;
  const fences = [...text.matchAll(FENCE)].map((m) => ({ lang: m[1]!.toLowerCase(), body: m[2]! }));
  const sqlFence = fences.find((f) => f.lang === 'sql' || f.lang === 'postgresql' || f.lang === 'postgres');
  if (sqlFence && sqlFence.body.trim() !== '') return tidy(sqlFence.body);
  for (const f of fences) {
    const json = f.lang === 'json' || f.body.trim().startsWith('{') ? fromJson(f.body) : undefined;
    if (json !== undefined) return tidy(json);
  }
  const json = fromJson(text);
  if (json !== undefined) return tidy(json);
  const plain = fences.find((f) => f.lang === '' && /^\s*(select|with)\b/i.test(f.body));
  if (plain) return tidy(plain.body);
  if (/^\s*(select|with)\b/i.test(text)) return tidy(text);
  return undefined;
}
