import { ErrorCode, SpokeError } from '@spoke/core';
import type { GatewayConfig } from '../config/gateway-config.js';
import { loadConfig } from '../config/load-config.js';
import { defaultDemoDir, demoConfig } from '../demo/demo-config.js';
import { ensureDemoData } from '../demo/generate-demo-data.js';

/** The options every command shares for choosing its configuration. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  demo: { type: 'boolean' },
  'demo-dir': { type: 'string' },
} as const;

/** Help lines for {@link CONFIG_OPTIONS}. */
export const CONFIG_HELP = `  -c, --config FILE   the YAML config (see the README's config reference)
      --demo          use the built-in demo instead: sample data generated on first run
                      into --demo-dir, served as three sources: crm (a DuckDB
                      file), lake (Parquet files) and docs (a Lance dataset)
      --demo-dir DIR  where the demo data lives (default: $SPOKE_DEMO_DIR or ./.demo-data)`;

/** Reads `--config FILE`, or prepares the demo for `--demo`. */
export async function configFromOptions(
  values: { config?: string | undefined; demo?: boolean | undefined; 'demo-dir'?: string | undefined },
  log: (message: string) => void,
): Promise<GatewayConfig> {
  if (values.config !== undefined && values.demo)
    throw new SpokeError(ErrorCode.INVALID_CONFIG, 'give either --config FILE or --demo, not both');
  if (values.config !== undefined) return loadConfig(values.config);
  if (values.demo) return demoConfig(await ensureDemoData(values['demo-dir'] ?? defaultDemoDir(), log));
  throw new SpokeError(ErrorCode.INVALID_CONFIG, 'missing --config FILE (or --demo for the built-in demo)');
}
