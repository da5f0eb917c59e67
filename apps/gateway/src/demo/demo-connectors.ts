import { ErrorCode, SpokeError } from '@spoke/core';

/**
 * The connector packages the demo's sources use. The gateway depends on no
 * connector (an operator installs only the ones their config names), so the
 * demo checks for these before generating data or starting.
 */
export const DEMO_CONNECTOR_PACKAGES: readonly string[] = [
  '@spoke/connector-duckdb',
  '@spoke/connector-lance',
];

/** Whether `specifier` resolves from the gateway's own location. */
function isInstalled(specifier: string): boolean {
  try {
    import.meta.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws `INVALID_CONFIG` naming the demo's connector packages that are not
 * installed and the command that installs them.
 */
export function assertDemoConnectorsInstalled(installed: (specifier: string) => boolean = isInstalled): void {
  const missing = DEMO_CONNECTOR_PACKAGES.filter((specifier) => !installed(specifier));
  if (missing.length === 0) return;
  throw new SpokeError(
    ErrorCode.INVALID_CONFIG,
    `the demo needs ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed; install ${missing.length === 1 ? 'it' : 'them'}: npm install ${missing.join(' ')}`,
    { details: { missing } },
  );
}
