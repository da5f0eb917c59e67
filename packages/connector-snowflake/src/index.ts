/**
 * `@spoke/connector-snowflake` — Snowflake as a Spoke source over the
 * official `snowflake-sdk`: streamed results into Arrow, filters/top-N and
 * whole sub-queries pushed in Snowflake's dialect, a query tag on every
 * statement.
 *
 * @packageDocumentation
 */
import { defineConnector } from '@spoke/sdk';
import { createSnowflakeConnector } from './snowflake-connector.js';

export { createSnowflakeConnector, SnowflakeConnector } from './snowflake-connector.js';
export {
  SNOWFLAKE_CAPABILITIES,
  SnowflakeDialect,
  SnowflakeExpressionDialect,
  toSnowflakeParam,
} from './snowflake-dialect.js';
export { loadSnowflakeSdk } from './snowflake-driver.js';
export { resolveSnowflakeOptions, SNOWFLAKE_OPTIONS, type SnowflakeOptions } from './snowflake-options.js';
export {
  mapSnowflakeType,
  type SnowflakeColumnInfo,
  type SnowflakeTypeMapping,
} from './snowflake-type-mapping.js';

/** The connector factory the gateway loads for `connector: snowflake`. */
export const connector = defineConnector({ name: 'snowflake', create: createSnowflakeConnector });
export default connector;
