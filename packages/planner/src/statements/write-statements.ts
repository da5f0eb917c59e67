/**
 * Writes to sources that take them: `INSERT INTO … SELECT|VALUES`,
 * `CREATE TABLE … AS SELECT`, `DELETE FROM … WHERE`, `CREATE INDEX`,
 * `DROP INDEX` and `VACUUM`. The rows of INSERT and CTAS come from a
 * federated SELECT, so `INSERT INTO lance.docs SELECT … FROM pg.articles`
 * ingests from PostgreSQL into Lance. A source without the write member
 * refuses the statement with `UNSUPPORTED`.
 */
import {
  arrow,
  ErrorCode,
  type QueryContext,
  type RecordBatch,
  type ScalarValue,
  type Schema,
  SpokeError,
  type SpokeTable,
  type WriteOptions,
  type WriteResult,
} from '@spoke/core';
import type { ResolvedTable, SourceRegistry } from '../binder/source-registry.js';
import type { QueryResult } from '../engine-api.js';
import { peekSchema } from '../executor/federated-executor.js';
import { type AstNode, nodeKind, str } from '../parse/ast.js';
import type { WriteKind, WriteTarget } from '../policy-hook.js';
import { translateExpression } from '../pushdown/translate-expression.js';
import { commandResult, textResult } from '../session/text-result.js';

const WRITE_KINDS = new Set([
  'InsertStmt',
  'CreateTableAsStmt',
  'DeleteStmt',
  'IndexStmt',
  'DropStmt',
  'VacuumStmt',
]);

/** True for the statements handled here. */
export function isWriteStatement(node: AstNode): boolean {
  return WRITE_KINDS.has(nodeKind(node)[0]);
}

/** What a write statement needs from the engine. */
export interface WriteInput {
  readonly registry: SourceRegistry;
  readonly params: readonly ScalarValue[];
  readonly signal: AbortSignal;
  readonly context: QueryContext;
  /** Runs a SELECT body through the federated engine. */
  readonly select: (stmt: AstNode) => Promise<QueryResult>;
  /** The source tables a SELECT body reads (bound, not run). */
  readonly tablesRead: (stmt: AstNode) => Promise<WriteTarget[]>;
  /** Refuses writes the security policies forbid. */
  readonly checkWrite: (kind: WriteKind, target: WriteTarget, tablesRead: readonly WriteTarget[]) => void;
}

/** Runs one write statement. */
export async function runWriteStatement(node: AstNode, input: WriteInput): Promise<QueryResult> {
  const [kind, body] = nodeKind(node);
  const options: WriteOptions = { signal: input.signal, context: input.context };
  switch (kind) {
    case 'InsertStmt': {
      if (body.onConflictClause || body.returningList) {
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'INSERT … ON CONFLICT and RETURNING are not supported');
      }
      const target = await resolveTarget(body.relation, input);
      const insert = need(target, 'insert', 'INSERT');
      const select = body.selectStmt?.SelectStmt;
      if (!select) throw new SpokeError(ErrorCode.UNSUPPORTED, 'INSERT needs SELECT or VALUES');
      input.checkWrite('insert', target, await input.tablesRead(select));
      const names: string[] =
        body.cols?.map((c: AstNode) => c.ResTarget.name) ?? target.arrowSchema.fields.map((f) => f.name);
      for (const n of names) {
        if (!target.arrowSchema.fields.some((f) => f.name === n)) {
          throw new SpokeError(
            ErrorCode.COLUMN_NOT_FOUND,
            `column "${n}" of ${qualified(target)} does not exist`,
          );
        }
      }
      const result = await input.select(select);
      if (result.schema.fields.length > names.length) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, 'INSERT has more expressions than target columns');
      }
      const written = await insert.call(target.provider, renamed(result.batches, names), options);
      return rowsAffected('INSERT', written);
    }
    case 'CreateTableAsStmt': {
      if (body.objtype !== 'OBJECT_TABLE')
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'only CREATE TABLE … AS SELECT is supported');
      const rv = body.into.rel;
      const { source, schema, table } = names(rv, input.registry);
      const catalog = input.registry.source(source).catalog;
      if (!catalog.createTable)
        throw new SpokeError(ErrorCode.UNSUPPORTED, `source "${source}" does not support CREATE TABLE`, {
          source,
        });
      // The policies first: whether a table the caller may not see exists is not theirs to learn.
      input.checkWrite('create', { source, schema, table }, await input.tablesRead(body.query.SelectStmt));
      if (await catalog.getTable(schema, table, input.signal)) {
        throw new SpokeError(ErrorCode.INVALID_QUERY, `table "${source}.${table}" already exists`, {
          source,
        });
      }
      const result = await input.select(body.query.SelectStmt);
      const { schema: arrowSchema, batches } = await firstSchema(result);
      const written = await catalog.createTable(schema, table, arrowSchema, batches, options);
      return rowsAffected('CREATE TABLE AS', written);
    }
    case 'DeleteStmt': {
      if (body.usingClause || body.returningList)
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'DELETE … USING and RETURNING are not supported');
      const target = await resolveTarget(body.relation, input);
      const remove = need(target, 'delete', 'DELETE');
      input.checkWrite('delete', target, []);
      let filter: ReturnType<typeof translateExpression>;
      if (body.whereClause) {
        filter = translateExpression(body.whereClause, {
          schema: target.arrowSchema,
          qualifiers: [body.relation.alias?.aliasname ?? target.table, target.table],
          params: input.params,
        });
        if (!filter) {
          throw new SpokeError(
            ErrorCode.UNSUPPORTED,
            "this DELETE condition cannot be sent to the source: use comparisons, IN, BETWEEN, LIKE, IS NULL, AND/OR/NOT over the table's columns",
          );
        }
      }
      return rowsAffected('DELETE', await remove.call(target.provider, filter, options));
    }
    case 'IndexStmt': {
      const target = await resolveTarget(body.relation, input);
      const create = need(target, 'createIndex', 'CREATE INDEX');
      input.checkWrite('update', target, []);
      const columns = (body.indexParams as AstNode[]).map((p) => {
        const name = p.IndexElem?.name;
        if (!name) throw new SpokeError(ErrorCode.UNSUPPORTED, 'indexes on expressions are not supported');
        return name as string;
      });
      const indexOptions: Record<string, string | number | boolean> = {};
      for (const d of (body.options ?? []) as AstNode[]) {
        const e = d.DefElem;
        const a = e.arg ?? {};
        indexOptions[e.defname] =
          a.Integer?.ival ??
          (a.Float ? Number(a.Float.fval) : (a.String?.sval ?? a.Boolean?.boolval ?? true));
      }
      const written = await create.call(
        target.provider,
        {
          ...(body.idxname ? { name: body.idxname } : {}),
          columns,
          method: String(body.accessMethod ?? 'btree'),
          options: indexOptions,
        },
        options,
      );
      return summaryResult('CREATE INDEX', written);
    }
    case 'DropStmt': {
      if (body.removeType !== 'OBJECT_INDEX')
        throw new SpokeError(ErrorCode.UNSUPPORTED, 'only DROP INDEX is supported');
      const parts: string[] = body.objects[0].List.items.map((i: AstNode) => str(i)!);
      if (parts.length < 3)
        throw new SpokeError(ErrorCode.INVALID_QUERY, 'name the index as source.table.index_name');
      const index = parts.pop()!;
      const rv =
        parts.length === 3
          ? { catalogname: parts[0], schemaname: parts[1], relname: parts[2] }
          : { schemaname: parts[0], relname: parts[1] };
      const target = await resolveTarget(rv, input);
      const drop = need(target, 'dropIndex', 'DROP INDEX');
      input.checkWrite('update', target, []);
      return summaryResult('DROP INDEX', await drop.call(target.provider, index, options));
    }
    case 'VacuumStmt': {
      const rels = (body.rels ?? []) as AstNode[];
      if (rels.length === 0)
        throw new SpokeError(ErrorCode.INVALID_QUERY, 'name the table to vacuum: VACUUM source.table');
      const summaries: string[] = [];
      for (const r of rels) {
        const target = await resolveTarget(r.VacuumRelation.relation, input);
        const vacuum = need(target, 'vacuum', 'VACUUM');
        input.checkWrite('update', target, []);
        const done = await vacuum.call(target.provider, options);
        summaries.push(`${qualified(target)}: ${done.summary ?? 'done'}`);
      }
      return textResult(
        ['vacuum'],
        summaries.map((s) => [s]),
        'VACUUM',
      );
    }
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `${kind} is not supported`);
  }
}

async function resolveTarget(rv: AstNode, input: WriteInput): Promise<ResolvedTable> {
  const { source, schema, table, explicitSchema } = names(rv, input.registry);
  return input.registry.resolve(source, explicitSchema ? schema : undefined, table, input.signal);
}

/** `source.table` or `source.schema.table` of a target RangeVar. */
function names(
  rv: AstNode,
  registry: SourceRegistry,
): { source: string; schema: string; table: string; explicitSchema: boolean } {
  if (rv.catalogname)
    return { source: rv.catalogname, schema: rv.schemaname, table: rv.relname, explicitSchema: true };
  if (!rv.schemaname) {
    throw new SpokeError(
      ErrorCode.TABLE_NOT_FOUND,
      `name the target table as source.table or source.schema.table (got "${rv.relname}")`,
    );
  }
  const connector = registry.source(rv.schemaname);
  return {
    source: rv.schemaname,
    schema: connector.catalog.defaultSchema,
    table: rv.relname,
    explicitSchema: false,
  };
}

function need<K extends 'insert' | 'delete' | 'createIndex' | 'dropIndex' | 'vacuum'>(
  target: ResolvedTable,
  member: K,
  statement: string,
): NonNullable<SpokeTable[K]> {
  const fn = target.provider[member];
  if (!fn) {
    throw new SpokeError(ErrorCode.UNSUPPORTED, `${qualified(target)} does not support ${statement}`, {
      source: target.source,
    });
  }
  return fn as NonNullable<SpokeTable[K]>;
}

function qualified(t: ResolvedTable): string {
  return `${t.source}.${t.schema}.${t.table}`;
}

/** The SELECT's batches with the target's column names, by position. */
async function* renamed(
  batches: AsyncIterable<RecordBatch>,
  names: readonly string[],
): AsyncGenerator<RecordBatch> {
  for await (const batch of batches) {
    const fields = batch.schema.fields.map((f, i) => new arrow.Field(names[i]!, f.type, f.nullable));
    const schema = new arrow.Schema(fields);
    const data = arrow.makeData({
      type: new arrow.Struct(fields),
      length: batch.numRows,
      nullCount: 0,
      children: batch.data.children,
    });
    yield new arrow.RecordBatch(schema, data);
  }
}

async function firstSchema(
  result: QueryResult,
): Promise<{ schema: Schema; batches: AsyncIterable<RecordBatch> }> {
  // A federated result knows its schema before any row; an empty one still creates the table.
  if (result.schema.fields.length) return { schema: result.schema, batches: result.batches };
  return peekSchema(result.batches);
}

function rowsAffected(command: string, written: WriteResult): QueryResult {
  const result = commandResult(command);
  return { ...result, rowsAffected: () => written.rows };
}

function summaryResult(command: string, written: WriteResult): QueryResult {
  return written.summary ? textResult(['result'], [[written.summary]], command) : commandResult(command);
}
