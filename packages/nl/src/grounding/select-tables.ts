/**
 * Which tables a prompt shows when the asker can see more than fit: those
 * closest to the question. With an embeddings model, by cosine similarity of
 * the question to each table's description (names, columns); without one, by
 * the words they share. Only tables the asker may see are ever candidates.
 */
import type { EmbeddingModel } from '../providers/embedding-model.js';
import type { GroundedTable } from './grounded-catalog.js';

/** The text a table is embedded as: its name and its columns' names and types. */
export function describeTable(table: GroundedTable): string {
  return `${table.source}.${table.schema}.${table.name}: ${table.columns.map((c) => `${c.name} ${c.type}`).join(', ')}`;
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length && i < b.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

function words(text: string): Set<string> {
  return new Set(
    text
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 2)
      .map((w) => w.replace(/s$/, '')),
  );
}

/**
 * Embeddings of table descriptions, kept by text: a description changes only
 * when the table does, and every asker who sees the table sees the same text.
 */
export class DescriptionEmbeddings {
  readonly #cache = new Map<string, Float32Array>();
  constructor(
    readonly model: EmbeddingModel,
    readonly maxEntries = 10_000,
  ) {}

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const missing = [...new Set(texts.filter((t) => !this.#cache.has(t)))];
    if (missing.length > 0) {
      const vectors = await this.model.embed(missing, signal ? { signal } : {});
      if (this.#cache.size + missing.length > this.maxEntries) this.#cache.clear();
      for (const [i, t] of missing.entries()) this.#cache.set(t, vectors[i]!);
    }
    return texts.map((t) => this.#cache.get(t)!);
  }
}

/** At most `max` of `tables`, the most relevant to `question` first. */
export async function selectTables(
  tables: readonly GroundedTable[],
  question: string,
  max: number,
  embeddings?: DescriptionEmbeddings,
  signal?: AbortSignal,
): Promise<GroundedTable[]> {
  if (tables.length <= max) return [...tables];
  let scores: number[];
  if (embeddings) {
    const [q, ...described] = await embeddings.embed([question, ...tables.map(describeTable)], signal);
    scores = described.map((v) => cosine(q!, v));
  } else {
    const asked = words(question);
    scores = tables.map((t) => {
      const own = words(describeTable(t));
      let shared = 0;
      for (const w of asked) if (own.has(w)) shared++;
      // The table's own name counts double: "customers by region" is about customers.
      for (const w of words(t.name)) if (asked.has(w)) shared++;
      return shared;
    });
  }
  return tables
    .map((table, i) => ({ table, score: scores[i]!, i }))
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, max)
    .map((s) => s.table);
}
