/**
 * `@spoke/connector-mysql` — MySQL and MariaDB as a Spoke source: streamed
 * scans into Arrow, filters/top-N pushed with DuckDB-equal string semantics,
 * whole sub-query push-down in MySQL's dialect.
 *
 * @packageDocumentation
 */
import { defineConnector } from '@spoke/sdk';
import { createMysqlConnector } from './mysql-connector.js';

export { createMysqlConnector, MysqlConnector } from './mysql-connector.js';
export {
  MYSQL_CAPABILITIES,
  MysqlDialect,
  type MysqlDialectContext,
  MysqlExpressionDialect,
} from './mysql-dialect.js';
export {
  MYSQL_OPTIONS,
  type MysqlConnectionSettings,
  type MysqlOptions,
  resolveMysqlOptions,
} from './mysql-options.js';
export { type MysqlColumnInfo, type MysqlTypeMapping, mapMysqlType } from './mysql-type-mapping.js';

/** The connector factory the gateway loads for `connector: mysql`. */
export const connector = defineConnector({ name: 'mysql', create: createMysqlConnector });
export default connector;
