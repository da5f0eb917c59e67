/**
 * The compiler's contract without running anything: syntax errors (42601
 * with a position), constructs outside the subset (0A000 naming them),
 * parameters bound or quoted (never pasted), names quoted, and graph
 * definitions checked with errors that name the option.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode, SpokeError } from '@spoke/core';
import {
  checkGraphAgainstCatalog,
  compileCypher,
  type GraphDefinition,
  parseGraphDefinition,
} from '../src/index.js';
import { socialGraph } from './social-graph.js';

const graph: GraphDefinition = socialGraph({
  person: 'pg.person',
  company: 'lake.company',
  knows: 'lance.knows',
  works_at: 'pg.works_at',
});

function refusal(query: string, params: Record<string, unknown> = {}): SpokeError {
  try {
    compileCypher(query, graph, { params });
  } catch (error) {
    assert.ok(SpokeError.isInstance(error), String(error));
    return error;
  }
  assert.fail(`compiled: ${query}`);
}

describe('syntax errors', () => {
  test('42601 with the 1-based position of the offending token', () => {
    const e = refusal('MATCH (a:Person RETURN a');
    assert.equal(e.code, ErrorCode.SYNTAX_ERROR);
    assert.equal(e.details?.sqlstate, '42601');
    assert.equal(e.details?.position, 17);
    assert.match(e.message, /position 17/);
  });
  test('a query that does not end with RETURN', () => {
    const e = refusal('MATCH (a:Person)');
    assert.equal(e.details?.sqlstate, '42601');
  });
  test('an unterminated string', () => {
    assert.equal(refusal("MATCH (a:Person {name: 'x}) RETURN a").details?.sqlstate, '42601');
  });
});

describe('limits: a clear error, never a crash', () => {
  test('deep nesting is refused before parsing (54001)', () => {
    const e = refusal(`RETURN ${'('.repeat(1000)}1${')'.repeat(1000)}`);
    assert.equal(e.details?.sqlstate, '54001');
    assert.match(e.message, /nested more than 200 levels/);
  });
  test('a very long expression chain (54001)', () => {
    assert.equal(refusal(`RETURN ${'1 + '.repeat(20000)}1`).details?.sqlstate, '54001');
  });
  test('a hop count past 64 (54001)', () => {
    const e = refusal('MATCH (a:Person)-[:KNOWS*1..1000]->(b) RETURN b');
    assert.equal(e.details?.sqlstate, '54001');
    assert.match(e.message, /more than 64 hops/);
  });
});

describe('constructs outside the subset are named (0A000)', () => {
  const cases: [string, RegExp][] = [
    ['CREATE (a:Person {id: 1}) RETURN a', /CREATE clause/],
    ['MERGE (a:Person {id: 1}) RETURN a', /MERGE clause/],
    ['MATCH (a:Person) DETACH DELETE a RETURN 1', /DETACH DELETE clause/],
    ['MATCH (a:Person) SET a.age = 1 RETURN a', /SET clause/],
    ['MATCH (a:Person) WITH collect(a.id) AS l UNWIND l AS x RETURN x', /UNWIND of l/],
    ['CALL db.labels() YIELD label RETURN label', /CALL clause/],
    ['MATCH (a:Person) RETURN COLLECT { MATCH (a)-[:KNOWS]->(b) RETURN b.id } AS l', /COLLECT \{ … \}/],
    [
      'MATCH (a:Person) WHERE EXISTS { MATCH (a)-[:KNOWS]->(b) RETURN b } RETURN a',
      /with anything but one MATCH clause/,
    ],
    ['MATCH (a:Person) RETURN [x IN [1, 2] | x * 2] AS l', /list comprehensions/],
    ['MATCH (a:Person) RETURN {name: a.name} AS m', /map literals/],
    ['MATCH (a:!Person) RETURN a', /label expression/],
    ['MATCH ((a:Person)-[:KNOWS]->(b)){1,3} RETURN a', /parenthesized path patterns|quantified/],
    ['MATCH (a:Person)-[r:KNOWS*1..2]->(b) RETURN a', /variable on the variable-length relationship/],
    ['MATCH (a:Person)-[:WORKS_AT*1..2]->(b) RETURN a', /each hop of a variable-length path/],
    [
      'MATCH p = shortestPath((a:Person)-[:KNOWS]->(b)) RETURN a',
      /shortestPath over anything but one variable-length/,
    ],
    ['MATCH (a:Person:Company) RETURN a', /several labels on one node/],
    ['MATCH (a:Person) RETURN a.name[0]', /list indexing/],
    ['MATCH (a:Person) RETURN a.name GROUP BY a.name', /GROUP BY|syntax/],
    ['MATCH (a:Person) RETURN toLower(a.name) AS n, apoc.text.clean(a.name) AS c', /apoc\.text\.clean\(\)/],
    ['MATCH ANY SHORTEST (a:Person)-[:KNOWS]->+(b) RETURN b', /path selector|quantified/],
  ];
  for (const [query, message] of cases)
    test(query, () => {
      const e = refusal(query);
      if (e.details?.sqlstate === '42601') return; // some are not Cypher 25 at all
      assert.equal(e.code, ErrorCode.UNSUPPORTED, e.message);
      assert.equal(e.details?.sqlstate, '0A000');
      assert.match(e.message, message);
      assert.equal(typeof e.details?.position, 'number');
    });
});

describe('graph errors', () => {
  test('unknown label, type, property and variable', () => {
    assert.match(refusal('MATCH (a:Robot) RETURN a').message, /no vertex label :Robot.*Person, Company/);
    assert.match(refusal('MATCH (a:Person)-[:LIKES]->(b) RETURN a').message, /no relationship type :LIKES/);
    assert.match(refusal('MATCH (a:Person) RETURN b').message, /variable `b` is not defined/);
    assert.match(
      refusal('MATCH (a:Company)-[:KNOWS]->(b) RETURN a').message,
      /no relationship type :KNOWS connects :Company/,
    );
  });
  test('a property outside the vertex table (when the columns are known)', () => {
    const known = checkGraphAgainstCatalog('g', graph, (t) =>
      t === 'pg.person'
        ? [
            { name: 'id', type: 'Int64' },
            { name: 'name', type: 'Utf8' },
          ]
        : t === 'lake.company'
          ? [{ name: 'id', type: 'Int64' }]
          : [
              { name: 'src', type: 'Int64' },
              { name: 'dst', type: 'Int64' },
              { name: 'person_id', type: 'Int32' },
              { name: 'company_id', type: 'Int64' },
            ],
    );
    assert.throws(
      () => compileCypher('MATCH (a:Person) RETURN a.age', known),
      /:Person has no property "age" \(properties: id, name\)/,
    );
    // Case-insensitive when unambiguous: PostgreSQL folds names, Cypher users write camelCase.
    assert.match(compileCypher('MATCH (a:Person) RETURN a.NAME', known).sql, /"name" AS "a\.NAME"/);
  });
  test('a missing parameter is 42P02', () => {
    const e = refusal('MATCH (a:Person) WHERE a.id = $id RETURN a');
    assert.equal(e.details?.sqlstate, '42P02');
    assert.match(e.message, /\$id/);
  });
});

describe('parameters and names are never pasted into SQL', () => {
  const evil = "x' OR '1'='1";
  test('bound parameters become $n with their values beside the SQL', () => {
    const c = compileCypher('MATCH (a:Person) WHERE a.name = $name OR a.city = $name RETURN a.id', graph, {
      params: { name: evil },
    });
    assert.ok(!c.sql.includes(evil));
    assert.match(c.sql, /\$1/);
    assert.doesNotMatch(c.sql, /\$2/, 'one slot per parameter name');
    assert.deepEqual(c.params, [evil]);
  });
  test('inline parameters are quoted literals', () => {
    const c = compileCypher('MATCH (a:Person) WHERE a.name = $name RETURN a.id', graph, {
      params: { name: evil },
      paramStyle: 'inline',
    });
    assert.ok(c.sql.includes("'x'' OR ''1''=''1'"), c.sql);
    assert.deepEqual(c.params, []);
  });
  test('objects are refused as parameter values', () => {
    assert.equal(
      refusal('MATCH (a:Person) WHERE a.id = $p RETURN a', { p: { a: 1 } }).details?.sqlstate,
      '22023',
    );
  });
  test('property names and aliases are quoted identifiers', () => {
    const c = compileCypher('MATCH (a:Person) RETURN a.`we"ird` AS `x"y`', graph);
    assert.match(c.sql, /\."we""ird" AS "x""y"/);
  });
  test('string literals with quotes', () => {
    const c = compileCypher("MATCH (a:Person {name: 'O\\'Brien'}) RETURN a.id", graph);
    assert.match(c.sql, /'O''Brien'/);
  });
});

describe('graph definitions', () => {
  test('shape errors name the graph, label and option', () => {
    assert.throws(
      () => parseGraphDefinition('g', { vertices: {} }),
      /graphs\.g\.vertices must name at least one/,
    );
    assert.throws(
      () => parseGraphDefinition('g', { vertices: { P: { table: 'pg.p', key: 'id', color: 'red' } } }),
      /graphs\.g\.vertices\.P: unknown option "color"/,
    );
    assert.throws(
      () => parseGraphDefinition('g', { vertices: { P: { table: 'person', key: 'id' } } }),
      /graphs\.g\.vertices\.P\.table must be source\.table/,
    );
    assert.throws(
      () =>
        parseGraphDefinition('g', {
          vertices: { P: { table: 'pg.p', key: 'id' } },
          edges: { E: { table: 'pg.e', source: 's', target: 't', from: 'P', to: 'Q' } },
        }),
      /graphs\.g\.edges\.E\.to: no vertex label "Q"/,
    );
  });
  test('catalog checks: missing table, missing column, key type mismatch', () => {
    const cols = {
      'pg.person': [{ name: 'id', type: 'Int64' }],
      'lake.company': [{ name: 'id', type: 'Utf8' }],
      'lance.knows': [
        { name: 'src', type: 'Int32' },
        { name: 'dst', type: 'Int64' },
      ],
      'pg.works_at': [
        { name: 'person_id', type: 'Int64' },
        { name: 'company_id', type: 'Int64' },
      ],
    } as Record<string, { name: string; type: string }[]>;
    assert.throws(
      () => checkGraphAgainstCatalog('g', graph, (t) => cols[t]),
      /graphs\.g\.edges\.WORKS_AT\.target: column "company_id" is Int64 but the key of Company \(lake\.company\.id\) is Utf8/,
    );
    assert.throws(
      () =>
        checkGraphAgainstCatalog('g', graph, (t) =>
          t === 'lance.knows' ? [{ name: 'src', type: 'Int64' }] : cols[t],
        ),
      /graphs\.g\.edges\.KNOWS\.target: table "lance\.knows" has no column "dst"/,
    );
    assert.throws(
      () => checkGraphAgainstCatalog('g', graph, (t) => (t === 'pg.person' ? undefined : cols[t])),
      /graphs\.g\.vertices\.Person\.table: table "pg\.person" does not exist/,
    );
  });
});
