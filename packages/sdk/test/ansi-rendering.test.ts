import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ErrorCode, Ex, SpokeError, Types } from '@spoke/core';
import { DECLINE, type ExpressionDialect } from '../src/sql/expression-dialect.js';
import { ExpressionRenderer } from '../src/sql/expression-renderer.js';
import { renderScanSql } from '../src/sql/scan-sql.js';
import { renderSelectTree, type SelectDialect } from '../src/sql/select-renderer.js';
import { ANSI_EXAMPLES, InlineAnsiDialect } from './ansi-rendering-examples.js';

const render = (dialect: ExpressionDialect, expr: Parameters<ExpressionRenderer['render']>[0]) =>
  new ExpressionRenderer(dialect).render(expr);

describe('AnsiDialect standard rendering', () => {
  test("the README's table is what the renderer writes", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = readme.split('<!-- ansi-rendering:start -->')[1]?.split('<!-- ansi-rendering:end -->')[0];
    assert.ok(block, 'README lacks the ansi-rendering block');
    // Cells compared trimmed: the formatter pads the table's columns.
    const cells = (line: string) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim());
    const rows = block.trim().split('\n').slice(2).map(cells);
    const expected = ANSI_EXAMPLES.map(([node, words, expr]) => [
      node,
      words,
      `\`${render(new InlineAnsiDialect(), expr)}\``,
    ]);
    assert.deepEqual(rows, expected);
  });
});

/** A SQLite-like dialect: dates are text, booleans 1/0, upper/lower ASCII-only. */
class SqliteLikeDialect extends InlineAnsiDialect {
  override placeholder(): string {
    return '?';
  }
  renderExpression(
    expr: Parameters<NonNullable<ExpressionDialect['renderExpression']>>[0],
    context: Parameters<NonNullable<ExpressionDialect['renderExpression']>>[1],
  ) {
    if (expr.kind === 'cast' && expr.type.id === 'date') return `date(${context.render(expr.expr)})`;
    if (expr.kind === 'literal' && expr.type.id === 'date' && expr.value !== null)
      return context.literal(expr.value, Types.utf8);
    if (expr.kind === 'function' && expr.name === 'starts_with')
      return `(instr(${context.render(expr.args[0]!)}, ${context.render(expr.args[1]!)}) = 1)`;
    if (expr.kind === 'function' && (expr.name === 'upper' || expr.name === 'lower')) return DECLINE;
    if (expr.kind === 'between') return `/* between */ ${context.standard()}`;
    return undefined;
  }
  bindValue(value: Parameters<NonNullable<ExpressionDialect['bindValue']>>[0]) {
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
}

describe('ExpressionDialect.renderExpression and bindValue', () => {
  const d = new SqliteLikeDialect();

  test('a cast and a function are rewritten, operands through the hook', () => {
    const r = new ExpressionRenderer(d);
    const sql = r.render(
      Ex.and(
        Ex.cmp('=', Ex.cast(Ex.col('t'), Types.date), Ex.lit('2024-01-02', Types.date)),
        Ex.fn('starts_with', Ex.col('a'), Ex.lit('x', Types.utf8)),
      ),
    );
    assert.equal(sql, '((date("t") = ?) AND (instr("a", ?) = 1))');
    assert.deepEqual(r.params, ['2024-01-02', 'x']);
  });

  test('a declined node makes the filter unrenderable (UNSUPPORTED naming it)', () => {
    const r = new ExpressionRenderer(d);
    const upper = Ex.cmp('=', Ex.fn('upper', Ex.col('a')), Ex.lit('X', Types.utf8));
    assert.equal(r.canRender(upper), false);
    assert.throws(
      () => r.render(upper),
      (e: unknown) =>
        SpokeError.isInstance(e) && e.code === ErrorCode.UNSUPPORTED && /function upper\(\)/.test(e.message),
    );
  });

  test('standard() wraps the default rendering', () => {
    const sql = render(d, Ex.between(Ex.col('a'), Ex.lit(1, Types.int32), Ex.lit(2, Types.int32)));
    assert.equal(sql, '/* between */ ("a" BETWEEN ? AND ?)');
  });

  test('bindValue converts bound values in scans and in whole SELECT trees', () => {
    const scan = renderScanSql(d, ['t'], {
      projection: ['a'],
      filters: [Ex.cmp('=', Ex.col('b'), Ex.lit(true, Types.bool))],
    });
    assert.deepEqual(scan.params, [1]);
    assert.equal(scan.sql, 'SELECT "a" FROM "t" WHERE ("b" = ?)');
    const select: SelectDialect = {
      name: 'sqlite-like',
      expressions: d,
      fullJoin: false,
      columnRef: (q, n) => (q ? `${d.quoteIdentifier(q)}.` : '') + d.quoteIdentifier(n),
      renderFunction: () => undefined,
      castType: () => undefined,
      concat: (l, r) => `(${l} || ${r})`,
      limitClause: () => '',
      resolveTable: () => undefined,
    };
    const tree = {
      SelectStmt: {
        targetList: [{ ResTarget: { val: { ColumnRef: { fields: [{ String: { sval: 'a' } }] } } } }],
        fromClause: [{ RangeVar: { relname: 't', inh: true } }],
        whereClause: {
          A_Expr: {
            kind: 'AEXPR_OP',
            name: [{ String: { sval: '=' } }],
            lexpr: { ColumnRef: { fields: [{ String: { sval: 'b' } }] } },
            rexpr: { A_Const: { boolval: { boolval: true } } },
          },
        },
        limitOption: 'LIMIT_OPTION_DEFAULT',
        op: 'SETOP_NONE',
      },
    };
    const rendered = renderSelectTree(select, tree);
    assert.deepEqual(rendered.params, [1]);
  });
});
