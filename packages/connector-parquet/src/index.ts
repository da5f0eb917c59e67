/**
 * `@spoke/connector-parquet` — Parquet on S3-compatible storage and local
 * disk: schema from footers, partition/row-group pruning, ranged reads of
 * the projected column chunks, decoding to Arrow, and Parquet export.
 *
 * @packageDocumentation
 */
import { connector } from './parquet-connector.js';

export { FooterCache, type FooterCacheStats } from './footer-cache.js';
export {
  connector,
  createParquetConnector,
  PARQUET_OPTIONS,
  ParquetConnector,
  resolveRootUrl,
} from './parquet-connector.js';
export { ParquetTable, type ScanMetrics } from './parquet-table.js';
export {
  uploadParquetFile,
  type WriteParquetOptions,
  type WriteParquetResult,
  writeParquet,
} from './write-parquet.js';
export default connector;
