/**
 * View-style rewriting: every source table the caller has read rules on is
 * replaced, where the query names it, by
 * `(SELECT <visible columns, masked> FROM <table> WHERE <row filters>) AS <name>`.
 * The rest of the query only ever sees that sub-select, so no function, cast,
 * CASE, window, sort, filter or join can reach a raw value; push-down still
 * sends the row filters to the source (they touch one table). Denied tables
 * do not exist: the errors are the binder's "does not exist", with
 * suggestions drawn from what the caller may see.
 */
import { didYouMean, ErrorCode, type QueryContext, SpokeError } from '@spoke/core';
import { isSystemRelation } from '../binder/bind-query.js';
import type { ResolvedTable, SourceRegistry } from '../binder/source-registry.js';
import { type AstNode, cloneAst, walkAst } from '../parse/ast.js';
import type { PolicyInput } from '../policy-hook.js';
import { type AggregateOnlyRelation, enforceAggregateOnly } from './aggregate-only.js';
import { appliesTo, type PolicyRule } from './policy-rule.js';
import { and, column, maskExpression, rowFilterFor } from './policy-sql.js';
import { tableRules } from './table-rules.js';

/** The outcome of rewriting one statement. */
export interface RewriteOutcome {
  /** Names of the rules that shaped the statement, in the order first applied. */
  readonly appliedRules: string[];
  /** True when a row filter was applied (see {@link PolicyOutcome.rowFiltered}). */
  readonly rowFiltered: boolean;
}

/** Rewrites `stmt` (a SelectStmt body) in place for the caller. */
export async function rewriteQuery(
  stmt: AstNode,
  rules: readonly PolicyRule[],
  input: PolicyInput,
): Promise<RewriteOutcome> {
  const rewriter = new Rewriter(rules, input.registry, input.context, input.signal);
  await rewriter.visitSelect(stmt, new Set());
  return { appliedRules: [...rewriter.applied], rowFiltered: rewriter.rowFiltered };
}

class Rewriter {
  readonly applied = new Set<string>();
  /** True once a row filter was put in: the statement must not be pushed whole to a source. */
  rowFiltered = false;

  constructor(
    readonly rules: readonly PolicyRule[],
    readonly registry: SourceRegistry,
    readonly context: QueryContext,
    readonly signal: AbortSignal,
  ) {}

  async visitSelect(stmt: AstNode, outerCtes: ReadonlySet<string>): Promise<void> {
    const ctes = new Set(outerCtes);
    for (const cte of stmt.withClause?.ctes ?? []) {
      const body = cte.CommonTableExpr;
      ctes.add(body.ctename);
      if (body.ctequery?.SelectStmt) await this.visitSelect(body.ctequery.SelectStmt, ctes);
    }
    if (stmt.op && stmt.op !== 'SETOP_NONE') {
      await this.visitSelect(stmt.larg, ctes);
      await this.visitSelect(stmt.rarg, ctes);
      await this.visitExpressions([stmt.sortClause, stmt.limitCount, stmt.limitOffset], ctes);
      return;
    }
    const protectedHere: AggregateOnlyRelation[] = [];
    const from: AstNode[] = stmt.fromClause ?? [];
    for (let i = 0; i < from.length; i++)
      from[i] = await this.visitFrom(from[i]!, ctes, protectedHere, false);
    await this.visitExpressions(
      [
        stmt.valuesLists,
        stmt.targetList,
        stmt.whereClause,
        stmt.groupClause,
        stmt.havingClause,
        stmt.windowClause,
        stmt.sortClause,
        stmt.distinctClause,
        stmt.limitCount,
        stmt.limitOffset,
      ],
      ctes,
    );
    if (protectedHere.length) {
      enforceAggregateOnly(stmt, protectedHere);
      for (const rel of protectedHere) for (const rule of rel.rules) this.applied.add(rule.name);
    }
  }

  async visitFrom(
    item: AstNode,
    ctes: ReadonlySet<string>,
    protectedHere: AggregateOnlyRelation[],
    underAlias: boolean,
  ): Promise<AstNode> {
    if (item.RangeVar) return this.visitRangeVar(item, ctes, protectedHere, underAlias);
    if (item.JoinExpr) {
      const j = item.JoinExpr;
      const aliased = underAlias || j.alias !== undefined;
      j.larg = await this.visitFrom(j.larg, ctes, protectedHere, aliased);
      j.rarg = await this.visitFrom(j.rarg, ctes, protectedHere, aliased);
      await this.visitExpressions(j.quals, ctes);
      return item;
    }
    if (item.RangeSubselect?.subquery?.SelectStmt) {
      await this.visitSelect(item.RangeSubselect.subquery.SelectStmt, ctes);
      return item;
    }
    if (item.RangeFunction) {
      // Only allow-listed table functions get this far (binder/check-callables.ts): none takes a relation
      // name, so none reaches the raw rows loaded for the query; sub-queries in their arguments are rewritten.
      await this.visitExpressions(item.RangeFunction.functions, ctes);
    }
    return item;
  }

  /** Visits the sub-queries (SubLinks) inside expressions. */
  async visitExpressions(nodes: unknown, ctes: ReadonlySet<string>): Promise<void> {
    const subqueries: AstNode[] = [];
    walkAst(nodes, (n) => {
      if (n.SubLink) {
        if (n.SubLink.subselect?.SelectStmt) subqueries.push(n.SubLink.subselect.SelectStmt);
        if (n.SubLink.testexpr)
          walkAst(n.SubLink.testexpr, (m) => {
            if (m.SubLink?.subselect?.SelectStmt) subqueries.push(m.SubLink.subselect.SelectStmt);
            return undefined;
          });
        return false;
      }
      return undefined;
    });
    for (const q of subqueries) await this.visitSelect(q, ctes);
  }

  async visitRangeVar(
    item: AstNode,
    ctes: ReadonlySet<string>,
    protectedHere: AggregateOnlyRelation[],
    underAlias: boolean,
  ): Promise<AstNode> {
    const rv = item.RangeVar;
    const catalog: string | undefined = rv.catalogname;
    const schema: string | undefined = rv.schemaname;
    const name: string = rv.relname;
    if (catalog === undefined && schema === undefined && ctes.has(name)) return item;
    if (catalog === undefined && isSystemRelation(schema, name)) return item;
    // Sources no rule mentions need no catalog look-up here: the binder resolves (and reports) them as usual.
    const sourceName = catalog ?? schema;
    if (
      sourceName !== undefined &&
      this.registry.has(sourceName) &&
      !this.rules.some((r) => r.on[0]!.toLowerCase() === sourceName.toLowerCase())
    ) {
      return item;
    }
    const resolved = await this.resolve(catalog, schema, name);
    const written = [catalog, schema, name].filter((p) => p !== undefined).join('.');
    const table = {
      source: resolved.source,
      schema: resolved.schema,
      table: resolved.table,
      defaultSchema: resolved.connector.catalog.defaultSchema,
    };
    const rules = tableRules(this.rules, table, this.context);
    if (rules.denied)
      throw await this.notFound(catalog ?? schema!, catalog === undefined ? undefined : schema, name);
    const tls = rules.requireTls[0];
    if (tls) {
      if (this.context.secureTransport === false)
        throw new SpokeError(
          ErrorCode.POLICY_DENIED,
          `${written} is answered only over an encrypted connection: connect with TLS (sslmode=require, https, grpc+tls) (rule ${tls.name})`,
        );
      if (resolved.connector.encryptedLink === false)
        throw new SpokeError(
          ErrorCode.POLICY_DENIED,
          `${written} may only cross encrypted links, and source "${resolved.source}" is reached without TLS (rule ${tls.name})`,
        );
      this.applied.add(tls.name);
    }
    if (!rules.hasColumnRules && !rules.aggregateOnly.length && !rules.rowFilters.length) return item;

    const targets: AstNode[] = [];
    const visible = new Set<string>();
    const text = new Set<string>();
    for (const field of resolved.arrowSchema.fields) {
      const effect = rules.column(field.name);
      if (effect.kind === 'deny') {
        this.applied.add(effect.rule.name);
        continue;
      }
      visible.add(field.name.toLowerCase());
      let val = column(field.name);
      let isText = /utf8|string/i.test(String(field.type));
      if (effect.kind === 'mask') {
        this.applied.add(effect.rule.name);
        val = maskExpression(field.name, effect.mask, effect.rule);
        if (effect.mask !== 'null') isText = true;
      }
      if (isText) text.add(field.name.toLowerCase());
      targets.push({ ResTarget: { name: field.name, val } });
    }
    // A table none of whose columns the caller may see does not exist for them.
    if (targets.length === 0)
      throw await this.notFound(catalog ?? schema!, catalog === undefined ? undefined : schema, name);
    if (rules.rowFilters.length) this.rowFiltered = true;
    const filters = rules.rowFilters.map((rule) => {
      this.applied.add(rule.name);
      return rowFilterFor(rule, this.context);
    });
    const innerRangeVar = cloneAst(rv);
    delete innerRangeVar.alias;
    const inner: AstNode = {
      targetList: targets,
      fromClause: [{ RangeVar: innerRangeVar }],
      ...(filters.length ? { whereClause: and(filters) } : {}),
      limitOption: 'LIMIT_OPTION_DEFAULT',
      op: 'SETOP_NONE',
    };
    const alias = rv.alias?.aliasname ?? name;
    const replacement: AstNode = {
      RangeSubselect: {
        subquery: { SelectStmt: inner },
        alias: { aliasname: alias, ...(rv.alias?.colnames ? { colnames: rv.alias.colnames } : {}) },
      },
    };
    if (rules.aggregateOnly.length) {
      const rule = rules.aggregateOnly[0]!;
      if (underAlias) {
        throw new SpokeError(
          ErrorCode.POLICY_DENIED,
          `${written} may not be read inside an aliased JOIN (rule ${rule.name})`,
        );
      }
      protectedHere.push({
        item: replacement,
        inner,
        alias,
        displayName: written,
        rules: rules.aggregateOnly,
        minGroupSize: Math.max(...rules.aggregateOnly.map((r) => r.minGroupSize ?? 1)),
        columns: visible,
        textColumns: text,
      });
    }
    return replacement;
  }

  /** `registry.resolve`, exactly as the binder calls it, with "not found" errors that only suggest visible names. */
  async resolve(
    catalog: string | undefined,
    schema: string | undefined,
    name: string,
  ): Promise<ResolvedTable> {
    const sourceName = catalog ?? schema;
    if (sourceName === undefined) {
      const candidates = [];
      for (const candidate of await this.registry.qualifiedCandidates(name, this.signal)) {
        const [source] = candidate.split('.');
        const connector = this.registry.sources.get(source!);
        const table = {
          source: source!,
          schema: connector?.catalog.defaultSchema ?? '',
          table: name,
          defaultSchema: connector?.catalog.defaultSchema ?? '',
        };
        if (!tableRules(this.rules, table, this.context).denied) candidates.push(candidate);
      }
      const hint = candidates.length
        ? ` (did you mean ${candidates.map((c) => `"${c}"`).join(' or ')}?)`
        : '';
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `table "${name}" does not exist: name tables as source.table or source.schema.table${hint}`,
      );
    }
    const visibleSources = [...this.registry.sources.keys()].filter((s) => !this.sourceDenied(s));
    if (!this.registry.has(sourceName) || this.sourceDenied(sourceName)) {
      const suffix = catalog === undefined ? '; name tables as source.table or source.schema.table' : '';
      throw new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `source "${sourceName}" does not exist${didYouMean(sourceName, visibleSources)}${suffix}`,
      );
    }
    try {
      return await this.registry.resolve(
        sourceName,
        catalog === undefined ? undefined : schema,
        name,
        this.signal,
      );
    } catch (error) {
      if (!(SpokeError.isInstance(error) && error.code === ErrorCode.TABLE_NOT_FOUND)) throw error;
      throw await this.notFound(sourceName, catalog === undefined ? undefined : schema, name);
    }
  }

  sourceDenied(source: string): boolean {
    return this.rules.some(
      (r) =>
        r.kind === 'deny' &&
        r.on.length === 1 &&
        r.on[0]!.toLowerCase() === source.toLowerCase() &&
        appliesTo(r, this.context),
    );
  }

  /**
   * "Does not exist" for a table that does not, or that the caller may not
   * see — the same words either way, with suggestions drawn only from what
   * the caller may see.
   */
  async notFound(sourceName: string, schema: string | undefined, name: string): Promise<SpokeError> {
    const connector = this.registry.source(sourceName);
    const source = [...this.registry.sources.entries()].find(([, c]) => c === connector)![0];
    const defaultSchema = connector.catalog.defaultSchema;
    const schemas = await connector.catalog.listSchemas(this.signal).catch(() => [] as readonly string[]);
    const visibleSchemas = schemas.filter((s) => !this.schemaDenied(source, s, defaultSchema));
    if (
      schema !== undefined &&
      !visibleSchemas.some((s) => s === schema || s.toLowerCase() === schema.toLowerCase())
    ) {
      return new SpokeError(
        ErrorCode.TABLE_NOT_FOUND,
        `schema "${schema}" does not exist in source "${source}"${didYouMean(schema, visibleSchemas)}`,
        { source },
      );
    }
    const inSchema =
      schemas.find((s) => s.toLowerCase() === (schema ?? defaultSchema).toLowerCase()) ??
      schema ??
      defaultSchema;
    const tables = await connector.catalog
      .listTables(inSchema, this.signal)
      .catch(() => [] as readonly string[]);
    const visible = tables.filter(
      (t) =>
        !tableRules(this.rules, { source, schema: inSchema, table: t, defaultSchema }, this.context).denied,
    );
    const qualified = schema === undefined ? `${sourceName}.${name}` : `${sourceName}.${schema}.${name}`;
    return new SpokeError(
      ErrorCode.TABLE_NOT_FOUND,
      `table "${qualified}" does not exist${didYouMean(name, visible)}`,
      { source },
    );
  }

  /** A deny on the source or on the schema itself hides the schema. */
  schemaDenied(source: string, schema: string, defaultSchema: string): boolean {
    return (
      tableRules(this.rules, { source, schema, table: '\u0000', defaultSchema }, this.context).denied !==
      undefined
    );
  }
}
