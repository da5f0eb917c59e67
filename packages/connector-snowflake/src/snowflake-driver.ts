/**
 * Loads `snowflake-sdk` so that it makes no network call of its own: the
 * driver probes cloud metadata endpoints (AWS, Azure, GCP) when its module is
 * first loaded unless `SNOWFLAKE_DISABLE_PLATFORM_DETECTION` is set, and
 * sends a "connection shape" telemetry event after login unless
 * `SF_TELEMETRY_DISABLE_CONNECTION_SHAPE` is set. Both are set (when the
 * operator has not chosen otherwise) before the module loads.
 */
import { createRequire } from 'node:module';

/** The part of `snowflake-sdk` the connector uses. */
export type SnowflakeSdk = typeof import('snowflake-sdk');

let sdk: SnowflakeSdk | undefined;

/** The driver module, configured once: errors-only logging, no OCSP probing (plain-HTTP access URLs never need it). */
export function loadSnowflakeSdk(): SnowflakeSdk {
  if (sdk) return sdk;
  process.env.SNOWFLAKE_DISABLE_PLATFORM_DETECTION ??= 'true';
  process.env.SF_TELEMETRY_DISABLE_CONNECTION_SHAPE ??= 'true';
  const loaded = createRequire(import.meta.url)('snowflake-sdk') as SnowflakeSdk;
  loaded.configure({ logLevel: 'ERROR', additionalLogToConsole: false } as never);
  sdk = loaded;
  return loaded;
}
