/**
 * Where every cached plan starts: the statement parsed and checked as the
 * engine's `query` checks a SELECT, and the tables it was bound with, as a
 * later execution finds them again (see `cached-query.ts`'s validity check).
 */

import { checkCallables } from '../binder/check-callables.js';
import type { TableBinding } from '../binder/scope.js';
import type { FederatedEngine } from '../engine.js';
import { type AstNode, nodeKind, walkAst } from '../parse/ast.js';
import { nameTargets } from '../parse/figure-colname.js';
import { settleLiteralCasts } from '../parse/literal-casts.js';
import { parseSql } from '../parse/parse-sql.js';
import type { CachedTable } from './cached-plan.js';
import { schemaSignature } from './schema-signature.js';

/** A single SELECT the cache may keep a plan for. */
export interface CacheableSelect {
  /** The statement's SelectStmt body, checked, its output columns named, its literal casts settled. */
  readonly body: AstNode;
  /** The highest `$n` in the statement. */
  readonly maxParam: number;
}

/**
 * Parses `sql` and checks it as the engine does a SELECT; `undefined` when
 * it is not one SELECT, is `SELECT INTO`, has time travel or a table
 * function (expanded with the registry and the parameters), or uses a `$n`
 * beyond `paramCount` (the engine reports that). Throws the engine's errors
 * for calls it refuses.
 */
export async function cacheableSelect(
  engine: FederatedEngine,
  sql: string,
  paramCount: number,
): Promise<CacheableSelect | undefined> {
  const statements = await parseSql(sql);
  if (statements.length !== 1) return undefined;
  const node = statements[0]!.node;
  const [kind, body] = nodeKind(node);
  if (kind !== 'SelectStmt' || body.intoClause) return undefined;
  let maxParam = 0;
  let rangeFunction = false;
  walkAst(node, (n) => {
    if (n.RangeFunction) rangeFunction = true;
    const number = n.ParamRef?.number as number | undefined;
    if (number !== undefined && number > maxParam) maxParam = number;
    return undefined;
  });
  if (rangeFunction || maxParam > paramCount) return undefined;
  checkCallables(node, { sql, isSource: (name) => engine.registry.has(name) });
  nameTargets(node);
  settleLiteralCasts(node, sql);
  return { body, maxParam };
}

/** The tables of a bound statement, as written and as resolved, for a cached plan. */
export function cachedTables(bindings: readonly TableBinding[]): CachedTable[] {
  return bindings.map((b) => ({
    written: {
      ...(b.rangeVar.catalogname !== undefined ? { catalog: b.rangeVar.catalogname as string } : {}),
      ...(b.rangeVar.schemaname !== undefined ? { schema: b.rangeVar.schemaname as string } : {}),
      name: b.rangeVar.relname as string,
    },
    source: b.source,
    schema: b.schema,
    table: b.table,
    connector: b.connector,
    signature: schemaSignature(b.arrowSchema),
  }));
}
