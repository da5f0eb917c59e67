import { SCALAR_FUNCTIONS, type ScalarFunctionName } from '@spoke/core';
import { fixtureSql, runConformance } from '@spoke/testing';
import { startMariaDB } from '../../../test/harness/mariadb-server.js';
import { connector, MysqlExpressionDialect } from '../src/index.js';

const NOT_PUSHED = new Set([
  'l2_distance',
  'cosine_distance',
  'negative_inner_product',
  'text_match',
  'substring',
  'concat',
  'round',
  'starts_with',
]);

runConformance({
  name: 'mysql (MariaDB)',
  capabilities: {
    wholeQueries: true,
    filters: 'exact',
    limit: true,
    topN: true,
    statistics: 'estimated',
    // MySQL's TIMESTAMP holds 1970–2038 only: instants are tested through the type round-trip suite.
    types: [
      'int16',
      'int32',
      'int64',
      'float64',
      'decimal18',
      'decimal38',
      'utf8',
      'bool',
      'date',
      'timestamp',
      'binary',
    ],
    functions: SCALAR_FUNCTIONS.filter((f) => !NOT_PUSHED.has(f)) as ScalarFunctionName[],
  },
  setup: async () => {
    const server = await startMariaDB();
    const sql = fixtureSql(new MysqlExpressionDialect(), {
      schema: 'spoke',
      types: [
        'int16',
        'int32',
        'int64',
        'float64',
        'decimal18',
        'decimal38',
        'utf8',
        'bool',
        'date',
        'timestamp',
        'binary',
      ],
      typeNames: {
        int16: 'SMALLINT',
        int32: 'INT',
        int64: 'BIGINT',
        float64: 'DOUBLE',
        decimal18: 'DECIMAL(18,4)',
        decimal38: 'DECIMAL(38,10)',
        utf8: 'TEXT',
        bool: 'BOOLEAN',
        date: 'DATE',
        timestamp: 'DATETIME(6)',
        binary: 'BLOB',
      },
    });
    server.sql(`${sql.join(';\n')};\nANALYZE TABLE spoke_conformance;`);
    const c = await connector.create({ url: server.url }, { sourceName: 'conformance', baseDir: '.' });
    return { connector: c, fixtureSchema: 'spoke', teardown: () => server.close() };
  },
});
