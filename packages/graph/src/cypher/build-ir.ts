/**
 * Turns the Cypher parse tree into the pattern IR ({@link CypherQuery}).
 * Only the subset the compiler supports gets through: every other construct
 * the grammar accepts is refused here with 0A000, naming it.
 */
import { type ParserRuleContext, type ParseTree, TerminalNode } from 'antlr4ng';
import { invalidCypher, unsupportedCypher } from '../errors.js';
import {
  AllPathContext,
  BooleanLiteralContext,
  CaseExpressionContext,
  type ClauseContext,
  CountExpressionContext,
  CountStarContext,
  ExistsExpressionContext,
  type Expression1Context,
  Expression2Context,
  Expression3Context,
  Expression4Context,
  Expression5Context,
  Expression6Context,
  Expression7Context,
  Expression8Context,
  Expression9Context,
  Expression10Context,
  Expression11Context,
  ExpressionContext,
  ExtendedCaseExpressionContext,
  FunctionInvocationContext,
  KeywordLiteralContext,
  type LabelExpressionContext,
  LabelNameContext,
  ListLiteralContext,
  type MatchClauseContext,
  NodePatternContext,
  NullComparisonContext,
  NumericLiteralContext,
  ParameterContext,
  ParenthesizedExpressionContext,
  type PatternContext,
  PatternExpressionContext,
  type PatternListContext,
  type PropertiesContext,
  PropertyPostfixContext,
  RelationshipPatternContext,
  type ReturnBodyContext,
  type SingleQueryContext,
  type StatementsContext,
  StringAndListComparisonContext,
  StringsLiteralContext,
  type SymbolicNameStringContext,
  type UnionContext,
  VariableContext,
  WhenEqualsContext,
  type WhereClauseContext,
} from '../generated/SpokeCypherParser.js';
import type {
  BinaryOp,
  CypherClause,
  CypherExpr,
  CypherQuery,
  MatchClause,
  NodePattern,
  PathPattern,
  Projection,
  RelationshipPattern,
  SourceSpan,
} from './cypher-ir.js';
import { parseCypherTree } from './parse-tree.js';

/** The largest hop count a variable-length relationship may name (the search is exponential in it). */
export const MAX_EXPLICIT_HOPS = 64;

/** Parses a Cypher query into the IR, refusing what the subset does not cover. */
export function parseCypher(text: string): CypherQuery {
  return new IrBuilder(text).statements(parseCypherTree(text));
}

class IrBuilder {
  constructor(private readonly text: string) {}

  span(ctx: ParserRuleContext): SourceSpan {
    const start = ctx.start?.start ?? 0;
    const stop = ctx.stop?.stop ?? start - 1;
    return { text: this.text.slice(start, stop + 1), position: start + 1 };
  }

  refuse(construct: string, ctx: ParserRuleContext | null | undefined): never {
    throw unsupportedCypher(construct, ctx ? this.span(ctx).position : undefined);
  }

  statements(ctx: StatementsContext): CypherQuery {
    const statements = ctx.statement();
    if (statements.length !== 1) this.refuse('more than one statement', statements[1]);
    const statement = statements[0]!;
    const query = statement.queryWithLocalDefinitions();
    if (!query) this.refuse('commands (administration and schema statements)', statement);
    if (query.localDefinition().length > 0) this.refuse('DEFINE', query);
    const regular = query.nextStatement().regularQuery();
    if (regular.length !== 1) this.refuse('NEXT', regular[1]);
    const union = regular[0]!.union();
    if (!union) this.refuse('WHEN … THEN', regular[0]);
    return this.union(union);
  }

  union(ctx: UnionContext): CypherQuery {
    const parts: CypherQuery[] = [];
    const alls: boolean[] = [];
    let all = false;
    for (const child of ctx.children) {
      if (child instanceof TerminalNode) {
        const t = child.getText().toUpperCase();
        if (t === 'UNION') all = false;
        if (t === 'ALL') all = true;
        continue;
      }
      if (parts.length > 0) alls.push(all);
      parts.push(this.singleQuery(child as SingleQueryContext));
    }
    const [first, ...rest] = parts;
    return { clauses: first!.clauses, unions: rest.map((query, i) => ({ all: alls[i]!, query })) };
  }

  singleQuery(ctx: SingleQueryContext): CypherQuery {
    const clauses = ctx.clause();
    if (clauses.length === 0) this.refuse('CALL { … } subqueries', ctx);
    const out: CypherClause[] = [];
    for (const clause of clauses) out.push(this.clause(clause));
    const last = out[out.length - 1]!;
    if (last.kind !== 'return') {
      const span = this.span(clauses[clauses.length - 1]!);
      throw invalidCypher('a query must end with RETURN', span.position, '42601');
    }
    for (const c of out.slice(0, -1))
      if (c.kind === 'return') this.refuse('RETURN before the end of the query', clauses[out.indexOf(c)]);
    return { clauses: out, unions: [] };
  }

  clause(ctx: ClauseContext): CypherClause {
    const match = ctx.matchClause();
    if (match) return this.match(match);
    const withClause = ctx.withClause();
    if (withClause) {
      const where = withClause.whereClause();
      return {
        kind: 'with',
        ...this.span(withClause),
        projection: this.projection(withClause.returnBody()),
        ...(where ? { where: this.expr(where.expression()) } : {}),
      };
    }
    const unwind = ctx.unwindClause();
    if (unwind)
      return {
        kind: 'unwind',
        ...this.span(unwind),
        list: this.expr(unwind.expression()),
        variable: this.name(unwind.variable()),
      };
    const ret = ctx.returnClause();
    if (ret) return { kind: 'return', ...this.span(ret), projection: this.projection(ret.returnBody()) };
    const words = this.span(ctx)
      .text.split(/\s+/)
      .slice(0, 2)
      .map((w) => w.toUpperCase());
    const keyword = ['OPTIONAL', 'DETACH', 'LOAD', 'ORDER', 'FILTER'].includes(words[0]!)
      ? words.join(' ')
      : words[0]!;
    return this.refuse(`the ${keyword.replace(/[^A-Z ]/g, '')} clause`, ctx);
  }

  match(ctx: MatchClauseContext): MatchClause {
    if (ctx.matchMode())
      this.refuse('match modes (REPEATABLE ELEMENTS / DIFFERENT RELATIONSHIPS)', ctx.matchMode());
    if (ctx.hint().length > 0) this.refuse('USING hints', ctx.hint(0));
    if (ctx.searchClause()) this.refuse('SEARCH', ctx.searchClause());
    const where = ctx.whereClause();
    return {
      kind: 'match',
      ...this.span(ctx),
      optional: ctx.OPTIONAL() !== null,
      patterns: ctx
        .patternList()
        .pattern()
        .map((p) => this.pattern(p)),
      ...(where ? { where: this.expr(where.expression()) } : {}),
    };
  }

  pattern(ctx: PatternContext): PathPattern {
    let mode: PathPattern['mode'] = 'TRAIL';
    const prefix = ctx.pathPatternPrefix();
    if (prefix) {
      const words = this.span(prefix).text.toUpperCase().split(/\s+/);
      if (
        !(prefix instanceof AllPathContext) ||
        words[0] === 'ALL' ||
        !['WALK', 'TRAIL', 'ACYCLIC'].includes(words[0]!)
      )
        this.refuse(`the path selector ${words.join(' ')}`, prefix);
      mode = words[0] as PathPattern['mode'];
    }
    const anonymous = ctx.anonymousPattern();
    const shortestCtx = anonymous.shortestPathPattern();
    const element = shortestCtx ? shortestCtx.patternElement() : anonymous.patternElement()!;
    const { nodes, relationships } = this.element(element.children as ParseTree[]);
    const variable = ctx.variable();
    let shortest: PathPattern['shortest'];
    if (shortestCtx) {
      shortest = shortestCtx.ALL_SHORTEST_PATHS() ? 'all' : 'shortest';
      if (relationships.length !== 1 || !relationships[0]!.length)
        this.refuse('shortestPath over anything but one variable-length relationship', shortestCtx);
    }
    return {
      ...this.span(ctx),
      ...(variable ? { variable: this.name(variable) } : {}),
      ...(shortest ? { shortest } : {}),
      mode,
      nodes,
      relationships,
    };
  }

  /** The nodes and relationships of a pattern element, alternating. */
  element(children: readonly ParseTree[]): { nodes: NodePattern[]; relationships: RelationshipPattern[] } {
    const nodes: NodePattern[] = [];
    const relationships: RelationshipPattern[] = [];
    for (const child of children) {
      if (child instanceof NodePatternContext) {
        if (nodes.length !== relationships.length) this.refuse('juxtaposed node patterns', child);
        nodes.push(this.node(child));
      } else if (child instanceof RelationshipPatternContext) {
        relationships.push(this.relationship(child));
      } else {
        const rule = child as ParserRuleContext;
        this.refuse(
          rule.constructor.name === 'QuantifierContext'
            ? 'quantified path patterns ({m,n}, +, * after a relationship); use -[:TYPE*m..n]->'
            : 'parenthesized path patterns',
          rule,
        );
      }
    }
    return { nodes, relationships };
  }

  /** `EXISTS { … }` / `COUNT { … }`: a pattern list with an optional WHERE, or a lone MATCH clause. */
  patternSubquery(
    ctx: ExistsExpressionContext | CountExpressionContext,
    mode: 'exists' | 'count',
    span: SourceSpan,
  ): CypherExpr {
    if (ctx.matchMode())
      this.refuse('match modes (REPEATABLE ELEMENTS / DIFFERENT RELATIONSHIPS)', ctx.matchMode());
    let list: PatternListContext | null = ctx.patternList();
    let where: WhereClauseContext | null = ctx.whereClause();
    const query = ctx.queryWithLocalDefinitions();
    if (query) {
      const clauses = query.nextStatement().regularQuery(0)?.union()?.singleQuery(0)?.clause() ?? [];
      const match = clauses.length === 1 ? clauses[0]!.matchClause() : null;
      if (
        !match ||
        match.OPTIONAL() ||
        query.nextStatement().regularQuery(0)?.union()?.singleQuery().length !== 1
      )
        this.refuse(`${mode.toUpperCase()} { … } with anything but one MATCH clause`, ctx);
      list = match.patternList();
      where = match.whereClause();
    }
    return {
      kind: 'patternSubquery',
      mode,
      patterns: list!.pattern().map((p) => this.pattern(p)),
      ...(where ? { where: this.expr(where.expression()) } : {}),
      ...span,
    };
  }

  node(ctx: NodePatternContext): NodePattern {
    const variable = ctx.variable();
    const labels = ctx.labelExpression();
    const props = ctx.properties();
    const where = ctx.expression();
    const parsed = labels ? this.labels(labels) : { all: [], any: [] };
    if (parsed.any.length > 1) this.refuse('label alternatives (:A|B) on nodes', labels);
    return {
      ...this.span(ctx),
      ...(variable ? { variable: this.name(variable) } : {}),
      labels: parsed.all,
      properties: props ? this.properties(props) : [],
      ...(where ? { where: this.expr(where) } : {}),
    };
  }

  relationship(ctx: RelationshipPatternContext): RelationshipPattern {
    const left = ctx.leftArrow() !== null;
    const right = ctx.rightArrow() !== null;
    const variable = ctx.variable();
    const labels = ctx.labelExpression();
    const props = ctx.properties();
    const where = ctx.expression();
    const parsed = labels ? this.labels(labels) : { all: [], any: [] };
    if (parsed.all.length > 1) this.refuse('several types joined with & or : on one relationship', labels);
    const lengthCtx = ctx.pathLength();
    let length: RelationshipPattern['length'];
    if (lengthCtx) {
      const single = lengthCtx._single ? Number(lengthCtx._single.text) : undefined;
      const from = lengthCtx._from_ ? Number(lengthCtx._from_.text) : undefined;
      const to = lengthCtx._to ? Number(lengthCtx._to.text) : undefined;
      if (single !== undefined) length = { min: single, max: single };
      else if (lengthCtx.DOTDOT()) length = { min: from ?? 1, ...(to !== undefined ? { max: to } : {}) };
      else length = { min: 1 };
      if ((length.max ?? length.min) > MAX_EXPLICIT_HOPS)
        throw invalidCypher(
          `${this.span(lengthCtx).text} asks for more than ${MAX_EXPLICIT_HOPS} hops`,
          this.span(lengthCtx).position,
          '54001',
        );
      if (length.max !== undefined && length.max < length.min)
        throw invalidCypher(
          `the upper bound of ${this.span(lengthCtx).text} is below its lower bound`,
          this.span(lengthCtx).position,
          '22023',
        );
    }
    return {
      ...this.span(ctx),
      ...(variable ? { variable: this.name(variable) } : {}),
      types: parsed.all.length === 1 ? parsed.all : parsed.any,
      direction: left === right ? 'both' : left ? 'in' : 'out',
      ...(length ? { length } : {}),
      properties: props ? this.properties(props) : [],
      ...(where ? { where: this.expr(where) } : {}),
    };
  }

  /** `:A:B` / `:A&B` → all; `:A|B` → any. Anything richer is refused. */
  labels(ctx: LabelExpressionContext): { all: string[]; any: string[] } {
    const alternatives = ctx.labelExpression4().labelExpression3();
    const names = (l3: (typeof alternatives)[number]): string[] =>
      l3.labelExpression2().map((l2) => {
        const l1 = l2.labelExpression1();
        if (l2.EXCLAMATION_MARK().length > 0 || !(l1 instanceof LabelNameContext))
          this.refuse(`the label expression ${this.span(ctx).text}`, ctx);
        return this.symbol(l1.symbolicNameString());
      });
    if (alternatives.length === 1) {
      const all = names(alternatives[0]!);
      return { all, any: all.length === 1 ? all : [] };
    }
    const any = alternatives.map((a) => {
      const n = names(a);
      if (n.length !== 1) this.refuse(`the label expression ${this.span(ctx).text}`, ctx);
      return n[0]!;
    });
    return { all: [], any };
  }

  properties(ctx: PropertiesContext): (readonly [string, CypherExpr])[] {
    const map = ctx.map();
    if (!map) this.refuse('a parameter as a property map', ctx);
    const keys = map.propertyKeyName();
    const values = map.expression();
    return keys.map((k, i) => [this.symbol(k.symbolicNameString()), this.expr(values[i]!)] as const);
  }

  projection(ctx: ReturnBodyContext): Projection {
    if (ctx.groupBy()) this.refuse('GROUP BY', ctx.groupBy());
    const itemsCtx = ctx.returnItems();
    const star = itemsCtx.TIMES() !== null;
    const items = itemsCtx.returnItem().map((item) => {
      const alias = item.variable();
      return {
        ...this.span(item),
        expr: this.expr(item.expression()),
        ...(alias ? { alias: this.name(alias) } : {}),
      };
    });
    const orderBy = (ctx.orderBy()?.orderItem() ?? []).map((o) => ({
      expr: this.expr(o.expression()),
      descending: o.descToken() !== null,
    }));
    const skip = ctx.skip()?.expression();
    const limit = ctx.limit()?.expression();
    return {
      ...this.span(ctx),
      distinct: ctx.DISTINCT() !== null,
      star,
      items,
      orderBy,
      ...(skip ? { skip: this.expr(skip) } : {}),
      ...(limit ? { limit: this.expr(limit) } : {}),
    };
  }

  name(ctx: VariableContext): string {
    return unescapeName(ctx.getText());
  }

  symbol(ctx: SymbolicNameStringContext): string {
    return unescapeName(ctx.getText());
  }

  /** A left-associative chain `a op b op c` whose operators are terminal tokens. */
  chain(ctx: ParserRuleContext, op: (token: string) => BinaryOp): CypherExpr {
    let acc: CypherExpr | undefined;
    let pending: BinaryOp | undefined;
    let start = 0;
    for (const child of ctx.children as ParseTree[]) {
      if (child instanceof TerminalNode) {
        pending = op(child.getText().toUpperCase());
        continue;
      }
      const operand = this.expr(child as ParserRuleContext);
      if (acc === undefined) {
        acc = operand;
        start = operand.position - 1;
      } else {
        const end = operand.position - 1 + operand.text.length;
        acc = {
          kind: 'binary',
          op: pending!,
          left: acc,
          right: operand,
          text: this.text.slice(start, end),
          position: start + 1,
        };
      }
    }
    return acc!;
  }

  expr(ctx: ParserRuleContext): CypherExpr {
    const span = this.span(ctx);
    if (ctx instanceof ExpressionContext) return this.chain(ctx, () => 'OR');
    if (ctx instanceof Expression11Context) return this.chain(ctx, () => 'XOR');
    if (ctx instanceof Expression10Context) return this.chain(ctx, () => 'AND');
    if (ctx instanceof Expression9Context) {
      let operand = this.expr(ctx.expression8());
      for (let i = 0; i < ctx.NOT().length; i++) operand = { kind: 'not', operand, ...span };
      return operand;
    }
    if (ctx instanceof Expression8Context) {
      const operands = ctx.expression7().map((e) => this.expr(e));
      const ops = (ctx.children as ParseTree[])
        .filter((c) => c instanceof TerminalNode)
        .map((c) => c.getText());
      if (ops.length === 0) return operands[0]!;
      // Cypher chains comparisons: a < b < c means a < b AND b < c.
      let acc: CypherExpr | undefined;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i] === '!=' ? '<>' : (ops[i] as BinaryOp);
        const left = operands[i]!;
        const right = operands[i + 1]!;
        const cmp: CypherExpr = { kind: 'binary', op, left, right, ...span };
        acc = acc ? { kind: 'binary', op: 'AND', left: acc, right: cmp, ...span } : cmp;
      }
      return acc!;
    }
    if (ctx instanceof Expression7Context) {
      const left = this.expr(ctx.expression6());
      const cmp = ctx.comparisonExpression6();
      if (!cmp) return left;
      if (cmp instanceof NullComparisonContext)
        return { kind: 'isNull', negated: cmp.NOT() !== null, operand: left, ...span };
      if (cmp instanceof StringAndListComparisonContext) {
        const op: BinaryOp = cmp.REGEQ()
          ? '=~'
          : cmp.STARTS()
            ? 'STARTS WITH'
            : cmp.ENDS()
              ? 'ENDS WITH'
              : cmp.CONTAINS()
                ? 'CONTAINS'
                : 'IN';
        return { kind: 'binary', op, left, right: this.expr(cmp.expression6()), ...span };
      }
      const kind = this.span(cmp).text.toUpperCase();
      return this.refuse(
        kind.includes('NORMALIZED')
          ? 'IS NORMALIZED'
          : /TYPED|::/.test(kind)
            ? 'type predicates (IS :: TYPE)'
            : 'label predicates in expressions',
        cmp,
      );
    }
    if (ctx instanceof Expression6Context)
      return this.chain(ctx, (t) => (t === '||' ? '+' : (t as BinaryOp)));
    if (ctx instanceof Expression5Context) return this.chain(ctx, (t) => t as BinaryOp);
    if (ctx instanceof Expression4Context) return this.chain(ctx, () => '^');
    if (ctx instanceof Expression3Context) {
      const operand = this.expr(ctx.expression2());
      return ctx.MINUS() ? { kind: 'negate', operand, ...span } : operand;
    }
    if (ctx instanceof Expression2Context) {
      let target = this.expr(ctx.expression1());
      for (const post of ctx.postFix()) {
        if (!(post instanceof PropertyPostfixContext)) this.refuse('list indexing and slicing', post);
        const key = this.symbol(post.property().propertyKeyName().symbolicNameString());
        const end = post.stop!.stop + 1;
        target = {
          kind: 'property',
          target,
          key,
          text: this.text.slice(target.position - 1, end),
          position: target.position,
        };
      }
      return target;
    }
    return this.primary(ctx as Expression1Context, span);
  }

  primary(ctx: ParserRuleContext, span: SourceSpan): CypherExpr {
    const inner =
      ctx.children?.length === 1 && !(ctx.children[0] instanceof TerminalNode) ? ctx.getChild(0) : null;
    const c = (inner as ParserRuleContext | null) ?? ctx;
    if (c instanceof NumericLiteralContext) {
      const raw = c.getText();
      const negative = raw.startsWith('-');
      const digits = raw.replace(/^-/, '').replaceAll('_', '');
      const radix = /^0x/i.test(digits) ? 16 : /^0o/i.test(digits) ? 8 : 10;
      const magnitude = radix === 10 ? Number(digits) : Number.parseInt(digits.slice(2), radix);
      if (!Number.isFinite(magnitude)) this.refuse(`the number ${raw}`, c);
      const value = negative ? -magnitude : magnitude;
      // Hex and octal are written back in decimal.
      return { kind: 'literal', value, ...span, ...(radix === 10 ? {} : { text: String(value) }) };
    }
    if (c instanceof StringsLiteralContext)
      return { kind: 'literal', value: unescapeString(c.getText()), ...span };
    if (c instanceof BooleanLiteralContext)
      return { kind: 'literal', value: c.getText().toUpperCase() === 'TRUE', ...span };
    if (c instanceof KeywordLiteralContext) {
      if (c.getText().toUpperCase() === 'NULL') return { kind: 'literal', value: null, ...span };
      return this.refuse(`the literal ${c.getText()}`, c);
    }
    if (c instanceof ParameterContext)
      return { kind: 'param', name: unescapeName(c.parameterName().getText()), ...span };
    if (c instanceof ParenthesizedExpressionContext) return this.expr(c.expression());
    if (c instanceof CountStarContext) return { kind: 'countStar', ...span };
    if (c instanceof ListLiteralContext)
      return { kind: 'list', items: c.expression().map((e) => this.expr(e)), ...span };
    if (c instanceof FunctionInvocationContext) {
      const name = c.functionName().getText().toLowerCase();
      return {
        kind: 'call',
        name,
        distinct: c.DISTINCT() !== null,
        args: c.functionArgument().map((a) => this.expr(a.expression())),
        ...span,
      };
    }
    if (c instanceof CaseExpressionContext) {
      const otherwise = c.expression();
      return {
        kind: 'case',
        whens: c
          .caseAlternative()
          .map((a) => ({ when: this.expr(a.expression(0)!), result: this.expr(a.expression(1)!) })),
        ...(otherwise ? { otherwise: this.expr(otherwise) } : {}),
        ...span,
      };
    }
    if (c instanceof ExtendedCaseExpressionContext) {
      const otherwise = c._elseExp;
      return {
        kind: 'case',
        operand: this.expr(c.expression(0)!),
        whens: c.extendedCaseAlternative().flatMap((a) => {
          const then = this.expr(a.expression());
          return a.extendedWhen().map((w) => {
            if (!(w instanceof WhenEqualsContext)) this.refuse('comparison operators in CASE … WHEN', w);
            return { when: this.expr(w.expression()), result: then };
          });
        }),
        ...(otherwise ? { otherwise: this.expr(otherwise) } : {}),
        ...span,
      };
    }
    if (c instanceof VariableContext) return { kind: 'variable', name: this.name(c), ...span };
    if (c instanceof ExistsExpressionContext) return this.patternSubquery(c, 'exists', span);
    if (c instanceof CountExpressionContext) return this.patternSubquery(c, 'count', span);
    if (c instanceof PatternExpressionContext) {
      // A pattern used as a predicate: WHERE (a)-[:KNOWS]->(b).
      const { nodes, relationships } = this.element(c.pathPatternNonEmpty().children as ParseTree[]);
      return {
        kind: 'patternSubquery',
        mode: 'exists',
        patterns: [{ ...span, mode: 'TRAIL', nodes, relationships }],
        ...span,
      };
    }
    const rule = c.constructor.name.replace(/Context$/, '');
    const names: Record<string, string> = {
      OtherLiteral: 'map literals',
      MapProjection: 'map projections',
      ListComprehension: 'list comprehensions',
      PatternComprehension: 'pattern comprehensions',
      ReduceExpression: 'reduce()',
      ListItemsPredicate: 'all()/any()/none()/single() list predicates',
      CollectExpression: 'COLLECT { … }',
      ShortestPathExpression: 'shortestPath() as an expression (use it in MATCH)',
      InterpolatedStringLiteral: 'interpolated strings',
    };
    return this.refuse(names[rule] ?? `the expression ${this.span(c).text}`, c);
  }
}

/** `name` or `` `escaped name` `` → the name. */
function unescapeName(text: string): string {
  return text.startsWith('`') ? text.slice(1, -1).replaceAll('``', '`') : text;
}

/** A Cypher string literal (single or double quotes, backslash escapes) → its value. */
function unescapeString(text: string): string {
  const body = text.slice(1, -1);
  return body.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'u':
      case 'U':
        return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
      default:
        return e;
    }
  });
}
