/**
 * What a client sees of one statement — column names, values as canonical
 * text, or the SQLSTATE — from a real PostgreSQL and from Spoke, so the two
 * compare as text (the PostgreSQL corpus and the type-semantics kit).
 */
import { errorFields } from '@spoke/gateway';
import { collectBatches, type FederatedEngine } from '@spoke/planner';
import { canonicalRowsFromBatches, normalizeDecimal } from '@spoke/testing';
import type pg from 'pg';

/** What a client sees of one statement. */
export interface Outcome {
  readonly columns?: readonly string[];
  readonly rows?: readonly (readonly (string | null)[])[];
  readonly sqlstate?: string;
  readonly message?: string;
}

/** One value as text both sides agree on: numbers normalised, timestamps without zone marks or trailing zeros. */
export function canonical(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return numberText(value);
  const text = String(value);
  if (/^-?\d+(\.\d+)?$/.test(text)) return normalizeDecimal(text);
  if (/^-?\d+(\.\d+)?e[+-]?\d+$/i.test(text)) return numberText(Number(text));
  const ts = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|\+00)?$/.exec(text);
  if (ts) {
    const fraction = (ts[3] ?? '').replace(/0+$/, '');
    return `${ts[1]} ${ts[2]}${fraction === '.' ? '' : fraction}`;
  }
  return text;
}

export function numberText(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  // Twelve significant digits: a double and PostgreSQL's numeric of the same quotient agree.
  return normalizeDecimal(
    Number(n.toPrecision(12))
      .toFixed(12)
      .replace(/\.?0+$/, '') || '0',
  );
}

/** What `on` (a real PostgreSQL, or a client of Spoke's wire) shows for `sql`, values as canonical text. */
export async function postgresOutcome(on: pg.Client, sql: string): Promise<Outcome> {
  try {
    const result = await on.query({
      text: sql,
      rowMode: 'array',
      // Text as PostgreSQL sends it: the comparison is ours, not the driver's.
      types: { getTypeParser: () => (v: string) => v },
    });
    return {
      columns: result.fields.map((f) => f.name),
      rows: result.rows.map((row) =>
        result.fields.map((f, i) => {
          const v = (row as unknown[])[i];
          if (v === null) return null;
          if (f.dataTypeID === 16) return v === 't' ? 't' : 'f';
          // float4/float8: compared as numbers, as Spoke's doubles are.
          if (f.dataTypeID === 700 || f.dataTypeID === 701) return numberText(Number(v));
          return canonical(v);
        }),
      ),
    };
  } catch (error) {
    return { sqlstate: (error as { code?: string }).code ?? 'XX000', message: (error as Error).message };
  }
}

/** What Spoke's engine `on` answers for `sql`, values as canonical text, errors as their SQLSTATE. */
export async function spokeOutcome(on: FederatedEngine, sql: string): Promise<Outcome> {
  try {
    const result = await on.query(sql);
    const batches = await collectBatches(result);
    const columns = result.schema.fields.map((f) => f.name);
    const rows = canonicalRowsFromBatches(batches).map((row) =>
      row.map((v) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : canonical(v))),
    );
    return { columns, rows };
  } catch (error) {
    // The SQLSTATE the Postgres wire would send for it.
    const fields = errorFields(error);
    return { sqlstate: fields.code, message: fields.message };
  }
}

/** Rows as PostgreSQL's ORDER BY leaves them when the statement has one, else as a sorted multiset. */
export function comparable(outcome: Outcome, ordered: boolean): string {
  if (outcome.sqlstate) return `ERROR ${outcome.sqlstate}`;
  const rows = (outcome.rows ?? []).map((r) => JSON.stringify(r));
  if (!ordered) rows.sort();
  return `${JSON.stringify(outcome.columns)}\n${rows.join('\n')}`;
}
