/**
 * SQL/PGQ's CREATE/DROP PROPERTY GRAPH read into the config's graph
 * definition: the same object `parseGraphDefinition` gives for the same
 * graph in YAML, the synonyms and defaults, and a clear error (SQLSTATE,
 * position) for what cannot be read or expressed.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpokeError } from '@spoke/core';
import { parseGraphDefinition, parsePropertyGraphStatement } from '../src/index.js';

describe('CREATE / DROP PROPERTY GRAPH', () => {
  test('gives the definition the config gives', () => {
    const statement = parsePropertyGraphStatement(`CREATE PROPERTY GRAPH social
      VERTEX TABLES (
        pg.person KEY (id) LABEL Person PROPERTIES (id, name),
        lake.main.company AS co KEY ("Id") LABEL Company PROPERTIES ALL COLUMNS
      )
      EDGE TABLES (
        lance.knows KEY (kid) SOURCE KEY (src) REFERENCES pg.person (id)
          DESTINATION KEY (dst) REFERENCES person LABEL KNOWS,
        pg.employment SOURCE KEY (person_id) REFERENCES pg.person DESTINATION KEY (company_id) REFERENCES co
          LABEL WORKS_AT NO PROPERTIES
      );`);
    assert.deepEqual(statement, {
      kind: 'create',
      name: 'social',
      orReplace: false,
      ifNotExists: false,
      definition: parseGraphDefinition('social', {
        vertices: {
          Person: { table: 'pg.person', key: 'id', properties: ['id', 'name'] },
          Company: { table: 'lake.main.company', key: 'Id' },
        },
        edges: {
          KNOWS: {
            table: 'lance.knows',
            key: 'kid',
            source: 'src',
            target: 'dst',
            from: 'Person',
            to: 'Person',
          },
          WORKS_AT: {
            table: 'pg.employment',
            source: 'person_id',
            target: 'company_id',
            from: 'Person',
            to: 'Company',
            properties: [],
          },
        },
      }),
    });
  });

  test('synonyms, default labels, OR REPLACE, IF [NOT] EXISTS; other statements are not read', () => {
    const s = parsePropertyGraphStatement(
      'create or replace property graph if not exists g node tables (a.b key (id)) relationship tables (a.e source key (x) references b destination key (y) references a.b)',
    );
    assert.equal(s?.kind, 'create');
    assert.ok(s?.kind === 'create' && s.orReplace && s.ifNotExists);
    assert.deepEqual(s?.kind === 'create' ? Object.keys(s.definition.vertices) : [], ['b']);
    assert.deepEqual(s?.kind === 'create' ? s.definition.edges.e : undefined, {
      table: 'a.e',
      source: 'x',
      target: 'y',
      from: 'b',
      to: 'b',
    });
    assert.deepEqual(parsePropertyGraphStatement('DROP PROPERTY GRAPH IF EXISTS g CASCADE'), {
      kind: 'drop',
      name: 'g',
      ifExists: true,
    });
    assert.equal(parsePropertyGraphStatement('CREATE TABLE graph (property text)'), undefined);
    assert.equal(parsePropertyGraphStatement("SELECT 'create property graph'"), undefined);
  });

  test('errors name what is wrong, with SQLSTATE and position', () => {
    const cases: [string, string, RegExp][] = [
      ['CREATE PROPERTY GRAPH g VERTEX TABLES (person KEY (id))', '42601', /source\.table/],
      ['CREATE PROPERTY GRAPH g EDGE TABLES (a.e)', '42601', /VERTEX TABLES/],
      ['CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id)) junk', '42601', /unexpected "junk"/],
      ['CREATE PROPERTY GRAPH g VERTEX TABLES (a.b)', '0A000', /KEY \(column\) is required/],
      ['CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id) LABEL x LABEL y)', '0A000', /several labels/],
      ['CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id) PROPERTIES (id AS k))', '0A000', /expressions/],
      [
        'CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id), c.b KEY (id))',
        '42710',
        /label "b" is defined twice/,
      ],
      [
        'CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id)) EDGE TABLES (a.e SOURCE KEY (x) REFERENCES zz DESTINATION KEY (y) REFERENCES b)',
        '42P01',
        /REFERENCES zz names no vertex table/,
      ],
      [
        'CREATE PROPERTY GRAPH g VERTEX TABLES (a.b KEY (id)) EDGE TABLES (a.e SOURCE KEY (x) REFERENCES b (name) DESTINATION KEY (y) REFERENCES b)',
        '42830',
        /must name the vertex table's KEY \(id\)/,
      ],
    ];
    for (const [sql, sqlstate, message] of cases)
      assert.throws(
        () => parsePropertyGraphStatement(sql),
        (e: unknown) =>
          SpokeError.isInstance(e) &&
          (e.details as { sqlstate?: string }).sqlstate === sqlstate &&
          message.test(e.message) &&
          ((e.details as { position?: number }).position === undefined ||
            (e.details as { position: number }).position > 0),
        sql,
      );
  });
});
