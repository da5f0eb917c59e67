import { SCALAR_FUNCTIONS, type ScalarFunctionName, Types } from '@spoke/core';
import { fixtureSql, runConformance } from '@spoke/testing';
import { startSnowflakeEmulator, translateSql } from '../../../test/harness/snowflake-emulator/index.js';
import { connector, SnowflakeExpressionDialect } from '../src/index.js';

const NOT_PUSHED = new Set([
  'l2_distance',
  'cosine_distance',
  'negative_inner_product',
  'text_match',
  'substring',
  'concat',
  'round',
]);
const int = Types.decimal(38, 0);

runConformance({
  name: 'snowflake (emulator)',
  capabilities: {
    wholeQueries: true,
    filters: 'exact',
    limit: true,
    topN: true,
    statistics: 'exact',
    functions: SCALAR_FUNCTIONS.filter((f) => !NOT_PUSHED.has(f)) as ScalarFunctionName[],
    // Snowflake has one integer type, NUMBER(38,0).
    schemaTypes: { int16: int, int32: int, int64: int },
  },
  setup: async () => {
    const emu = await startSnowflakeEmulator({
      setup: async (c) => {
        await c.run(`CREATE TEMP MACRO to_binary(s, f := 'HEX') AS unhex(s)`);
        const statements = fixtureSql(new SnowflakeExpressionDialect(), {
          schema: 'PUBLIC',
          typeNames: { int16: 'NUMBER(38,0)', int32: 'NUMBER(38,0)', int64: 'NUMBER(38,0)' },
        });
        for (const s of statements) await c.run(translateSql(s, '"SPOKE"."_SF_INFO"').sql);
      },
    });
    const c = await connector.create(
      {
        account: emu.account,
        username: emu.user,
        password: emu.password,
        database: emu.database,
        accessUrl: emu.accessUrl,
      },
      { sourceName: 'conformance', baseDir: '.' },
    );
    return { connector: c, fixtureSchema: 'PUBLIC', teardown: () => emu.close() };
  },
});
