import { SCALAR_FUNCTIONS, type ScalarFunctionName } from '@spoke/core';
import { PostgresExpressionDialect } from '@spoke/sdk';
import { fixtureSql, runConformance } from '@spoke/testing';
import { startPostgres } from '../../../test/harness/index.js';
import { connector } from '../src/index.js';

const NOT_IN_POSTGRES = new Set(['l2_distance', 'cosine_distance', 'negative_inner_product', 'text_match']);

for (const copy of [true, false]) {
  runConformance({
    name: `postgres (${copy ? 'binary COPY' : 'cursor'})`,
    capabilities: {
      wholeQueries: true,
      filters: 'exact',
      limit: true,
      topN: true,
      statistics: 'estimated',
      functions: SCALAR_FUNCTIONS.filter((f) => !NOT_IN_POSTGRES.has(f)) as ScalarFunctionName[],
    },
    setup: async () => {
      const server = await startPostgres();
      // Collation C (byte order), so text range filters are pushed and checked too; character
      // classification C.UTF-8, so upper/lower/ILIKE fold all of Unicode as DuckDB does and are pushed.
      server.psql("CREATE DATABASE conformance TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'");
      const url = server.url.replace(/\/[^/?]*(\?|$)/, '/conformance$1');
      server.psql(
        `\\connect conformance\n${fixtureSql(new PostgresExpressionDialect({ inlineLiterals: true }), { schema: 'public' }).join(';\n')};\nANALYZE;`,
      );
      const c = await connector.create({ url, copy }, { sourceName: 'conformance', baseDir: '.' });
      return { connector: c, fixtureSchema: 'public', teardown: () => server.close() };
    },
  });
}
