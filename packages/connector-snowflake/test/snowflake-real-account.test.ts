/**
 * The same fixture-free cases against a real Snowflake account, when
 * SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD (or
 * SNOWFLAKE_PRIVATE_KEY_PATH) and SNOWFLAKE_DATABASE are set. CI has no
 * account: it verifies the connector against the emulator only.
 */
import { after, before, describe, test } from 'node:test';
import { connector, type SnowflakeConnector } from '../src/index.js';
import { runCancellation, runSharedCases } from './shared-cases.js';

const env = process.env;
const configured = Boolean(
  env.SNOWFLAKE_ACCOUNT &&
    env.SNOWFLAKE_USER &&
    (env.SNOWFLAKE_PASSWORD || env.SNOWFLAKE_PRIVATE_KEY_PATH) &&
    env.SNOWFLAKE_DATABASE,
);
const skip = configured
  ? false
  : 'SKIPPED: no Snowflake account configured (set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PASSWORD or SNOWFLAKE_PRIVATE_KEY_PATH, SNOWFLAKE_DATABASE[, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_ROLE]); the emulator suite covers CI';

if (!configured) console.log(`# connector-snowflake real-account suite ${skip}`);

describe('connector-snowflake against a real Snowflake account', { skip, timeout: 120_000 }, () => {
  let sf: SnowflakeConnector;
  before(async () => {
    sf = (await connector.create(
      {
        account: env.SNOWFLAKE_ACCOUNT,
        username: env.SNOWFLAKE_USER,
        database: env.SNOWFLAKE_DATABASE,
        ...(env.SNOWFLAKE_PASSWORD
          ? { password: env.SNOWFLAKE_PASSWORD }
          : { privateKeyPath: env.SNOWFLAKE_PRIVATE_KEY_PATH }),
        ...(env.SNOWFLAKE_PRIVATE_KEY_PASS ? { privateKeyPass: env.SNOWFLAKE_PRIVATE_KEY_PASS } : {}),
        ...(env.SNOWFLAKE_WAREHOUSE ? { warehouse: env.SNOWFLAKE_WAREHOUSE } : {}),
        ...(env.SNOWFLAKE_ROLE ? { role: env.SNOWFLAKE_ROLE } : {}),
        ...(env.SNOWFLAKE_SCHEMA ? { schema: env.SNOWFLAKE_SCHEMA } : {}),
      },
      { sourceName: 'sf', baseDir: process.cwd() },
    )) as SnowflakeConnector;
  });
  after(async () => {
    await sf?.close();
  });
  test('shared cases', async () => {
    await runSharedCases(sf);
  });
  test('cancellation', async () => {
    await runCancellation(sf);
  });
});
