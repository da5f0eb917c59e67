/**
 * A DuckDB-backed source (a DuckDB file, Parquet) that fails on a pushed
 * filter reports DuckDB's own text — `Conversion Error: …` and a `LINE 1:`
 * caret into the SQL the connector generated. The user sees PostgreSQL's
 * words and SQLSTATE instead, as for the same error in the residual.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { translateDuckDBError } from './duckdb-errors.js';

const DUCKDB_CLASSES = /^(?:Conversion|Invalid Input|Out of Range|Binder|Catalog) Error: /;

/** `error` in PostgreSQL's terms when it is a source's DuckDB error PostgreSQL has words for; else `error`. */
export function translateSourceError(error: unknown): unknown {
  if (!SpokeError.isInstance(error) || error.code !== ErrorCode.SOURCE_ERROR) return error;
  const cause = error.cause as Error | undefined;
  const message = typeof cause?.message === 'string' ? cause.message : undefined;
  if (!message || !DUCKDB_CLASSES.test(message)) return error;
  const translated = translateDuckDBError(cause);
  if (!SpokeError.isInstance(translated) || typeof translated.details?.sqlstate !== 'string') return error;
  return new SpokeError(translated.code, translated.message, {
    cause: error,
    ...(error.source !== undefined ? { source: error.source } : {}),
    details: translated.details,
  });
}
