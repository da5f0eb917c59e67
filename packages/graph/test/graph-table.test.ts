/**
 * The SQL/PGQ rewrite on its own: only real GRAPH_TABLE syntax is touched
 * (not strings, quoted names or comments that mention it), several in one
 * statement, labels, quantifiers, shortest paths, string literals re-spelt for
 * Cypher, and a clear 42601 for a GRAPH_TABLE it cannot read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { parseCypher, rewriteGraphTable } from '../src/index.js';

/** The Cypher text of the n-th cypher() call in rewritten SQL. */
function cypherOf(sql: string, n = 0): string {
  const calls = [...sql.matchAll(/cypher\('[^']*', (\$pgq\d*\$)(.*?)\1\)/gs)];
  assert.ok(calls[n], sql);
  return calls[n]![2]!;
}

describe('GRAPH_TABLE rewrite', () => {
  test('statements without GRAPH_TABLE are left alone', () => {
    assert.equal(rewriteGraphTable('SELECT 1'), undefined);
    assert.equal(rewriteGraphTable("SELECT 'GRAPH_TABLE (x MATCH (a) COLUMNS (a))'"), undefined);
    assert.equal(rewriteGraphTable('SELECT 1 -- graph_table (\n'), undefined);
    assert.equal(rewriteGraphTable('SELECT "graph_table" (1)'), undefined);
    assert.equal(rewriteGraphTable('SELECT $$ graph_table ( $$'), undefined);
  });

  test('labels, WHERE and COLUMNS become Cypher the parser accepts', () => {
    const sql = rewriteGraphTable(
      `SELECT * FROM GRAPH_TABLE (social MATCH (a IS Person)-[k IS KNOWS]->(b IS Person)
         WHERE a.name = 'O''Brien' AND b.age IS NOT NULL COLUMNS (a.name, b.name AS friend, k.since)) g`,
    )!;
    assert.match(sql, /^SELECT \* FROM cypher\('social', \$pgq\$/);
    assert.match(sql, /\) g$/);
    const cypher = cypherOf(sql);
    assert.match(cypher, /\(a :Person\)-\[k :KNOWS\]->\(b :Person\)/);
    assert.match(cypher, /IS NOT NULL/);
    assert.match(cypher, /RETURN a\.name AS name, b\.name AS friend, k\.since AS since$/);
    const query = parseCypher(cypher);
    const match = query.clauses[0]!;
    assert.equal(match.kind, 'match');
    assert.deepEqual(
      match.kind === 'match' && match.where?.kind === 'binary' && match.where.left.kind === 'binary'
        ? match.where.left.right
        : undefined,
      { kind: 'literal', value: "O'Brien", text: "'O\\'Brien'", position: match.where!.position + 9 },
    );
  });

  test('quantifiers move inside the edge', () => {
    const cases: [string, string][] = [
      ['-[IS KNOWS]->{1,3}', '-[:KNOWS*1..3]->'],
      ['-[e IS KNOWS]->{2}', '-[e :KNOWS*2]->'],
      ['<-[IS KNOWS]-{,4}', '<-[:KNOWS*0..4]-'],
      ['-[IS KNOWS]-+', '-[:KNOWS*1..]-'],
      ['->*', '-[*]->'],
      ['->{1,2}', '-[*1..2]->'],
    ];
    for (const [edge, expected] of cases) {
      const cypher = cypherOf(
        rewriteGraphTable(`SELECT * FROM GRAPH_TABLE (g MATCH (a)${edge}(b) COLUMNS (b.id))`)!,
      );
      assert.ok(cypher.includes(`(a)${expected}(b)`), `${edge}: ${cypher}`);
      parseCypher(cypher);
    }
  });

  test('ANY SHORTEST and path_length', () => {
    const cypher = cypherOf(
      rewriteGraphTable(
        'SELECT * FROM GRAPH_TABLE (g MATCH p = ANY SHORTEST (a IS Person WHERE a.id = 1)-[IS KNOWS]->{1,5}(b IS Person) COLUMNS (b.id, path_length(p) AS hops))',
      )!,
    );
    assert.match(
      cypher,
      /p = shortestPath\(\(a :Person WHERE a\.id = 1\)-\[:KNOWS\*1\.\.5\]->\(b :Person\)\)/,
    );
    assert.match(cypher, /length\(p\) AS hops/);
    parseCypher(cypher);
  });

  test('several GRAPH_TABLEs, a quoted graph name, nested parentheses', () => {
    const sql = rewriteGraphTable(
      `SELECT * FROM GRAPH_TABLE ("My Graph" MATCH (a) WHERE (a.x + (1)) > 2 COLUMNS ((a.x) AS x)) g1
       JOIN GRAPH_TABLE (other MATCH (b) COLUMNS (b.y)) g2 ON g1.x = g2.y`,
    )!;
    assert.match(sql, /cypher\('My Graph', /);
    assert.match(sql, /cypher\('other', /);
    assert.match(cypherOf(sql, 0), /WHERE \(a\.x \+ \(1\)\) > 2 RETURN \(a\.x\) AS x$/);
  });

  test('a dollar-quote tag that cannot clash with the query', () => {
    const sql = rewriteGraphTable(
      `SELECT * FROM GRAPH_TABLE (g MATCH (a) WHERE a.s = '$pgq$' COLUMNS (a.s))`,
    )!;
    assert.match(sql, /cypher\('g', \$pgq0\$/);
  });

  test('GRAPH_TABLE it cannot read: 42601 at its position', () => {
    for (const [sql, message] of [
      ['SELECT * FROM GRAPH_TABLE (g MATCH (a) COLUMNS (a.x)', /closing parenthesis/],
      ['SELECT * FROM GRAPH_TABLE (g MATCH (a))', /COLUMNS/],
      ['SELECT * FROM GRAPH_TABLE (MATCH (a) COLUMNS (a.x))', /MATCH must follow the graph name/],
      ['SELECT * FROM GRAPH_TABLE (g MATCH (a) COLUMNS (a.x) extra)', /must end the graph table/],
    ] as const) {
      try {
        rewriteGraphTable(sql);
        assert.fail(sql);
      } catch (error) {
        assert.ok(SpokeError.isInstance(error), String(error));
        assert.equal(error.details?.sqlstate, '42601');
        assert.equal(error.details?.position, 15);
        assert.match(error.message, message);
      }
    }
  });
});
