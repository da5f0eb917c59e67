import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type ConnectorFactory,
  closestName,
  ErrorCode,
  SPECIFICATION_VERSION,
  type SpokeConnector,
  SpokeError,
} from '@spoke/core';
import type { GatewayConfig } from './gateway-config.js';
import { installedConnectors } from './installed-connectors.js';

const SHORT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The module specifiers tried for a `connector:` value, in order.
 *
 * A short name (`duckdb`) means `@spoke/connector-duckdb`, then
 * `spoke-connector-duckdb` (the name `create-spoke-connector` gives a
 * third-party connector), then the bare name as a package of its own; a path (`./my-connector.js`) is resolved against
 * the config's directory; anything else (`@acme/spoke-erp`) is imported as
 * written.
 */
export function connectorSpecifiers(connector: string, baseDir: string): string[] {
  if (connector.startsWith('.') || isAbsolute(connector))
    return [pathToFileURL(resolve(baseDir, connector)).href];
  if (SHORT_NAME.test(connector))
    return [`@spoke/connector-${connector}`, `spoke-connector-${connector}`, connector];
  return [connector];
}

/** Whether `error` says that `specifier` itself (not something it imports) is not installed. */
function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string') return false;
  if (specifier.startsWith('file:')) return message.includes(new URL(specifier).pathname);
  return message.includes(`Cannot find package '${specifier}'`);
}

/** Whether `error` says `specifier` is installed but its entry point is missing (a workspace package not built yet). */
function isUnbuilt(error: unknown, specifier: string): boolean {
  const { code, message } = error as { code?: string; message?: string };
  const folder = specifier.startsWith('@spoke/') ? specifier.slice('@spoke/'.length) : specifier;
  return (
    code === 'ERR_MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    message.includes(`/${folder}/`) &&
    message.includes('/dist/')
  );
}

function asFactory(module: Record<string, unknown>): ConnectorFactory | undefined {
  for (const candidate of [module.connector, module.default]) {
    const f = candidate as Partial<ConnectorFactory> | undefined;
    if (f && typeof f === 'object' && typeof f.create === 'function' && typeof f.name === 'string')
      return f as ConnectorFactory;
  }
  return undefined;
}

/**
 * Imports the connector package a `connector:` value names and returns its
 * factory (the package's `connector` export, or its default export).
 *
 * @throws `INVALID_CONFIG` naming the package to install when it is missing,
 *   or saying what the package exports when it is not a connector.
 */
export async function importConnector(
  connector: string,
  sourceName: string,
  baseDir: string,
): Promise<ConnectorFactory> {
  const key = `sources.${sourceName}.connector`;
  const specifiers = connectorSpecifiers(connector, baseDir);
  const wanted = specifiers[0] as string;
  for (const specifier of specifiers) {
    let module: Record<string, unknown>;
    try {
      module = (await import(specifier)) as Record<string, unknown>;
    } catch (error) {
      if (isMissing(error, specifier)) continue;
      if (isUnbuilt(error, specifier))
        throw new SpokeError(
          ErrorCode.INVALID_CONFIG,
          `${key}: package ${specifier} is installed but not built (run: npm run build -w ${specifier})`,
          { cause: error, source: sourceName },
        );
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `${key}: cannot load ${specifier}: ${(error as Error).message}`,
        {
          cause: error,
          source: sourceName,
        },
      );
    }
    const factory = asFactory(module);
    if (!factory)
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `${key}: ${specifier} is not a Spoke connector package (it exports neither \`connector\` nor a default ConnectorFactory)`,
        { source: sourceName },
      );
    if (factory.specificationVersion !== SPECIFICATION_VERSION)
      throw new SpokeError(ErrorCode.INVALID_CONFIG, incompatibleMessage(key, specifier, factory), {
        source: sourceName,
        details: { package: specifier, specificationVersion: factory.specificationVersion ?? null },
      });
    return factory;
  }
  throw new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: ${notInstalledMessage(connector, specifiers)}`, {
    source: sourceName,
    details: { package: wanted, tried: specifiers },
  });
}

/** This gateway's package version, for messages. */
function gatewayVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The error for a connector built for another version of the contract: both versions, and what to do. */
function incompatibleMessage(key: string, specifier: string, factory: ConnectorFactory): string {
  const declared = (factory as { specificationVersion?: unknown }).specificationVersion;
  const theirs =
    declared === undefined
      ? 'declares no specificationVersion'
      : `implements connector specification ${String(declared)}`;
  return (
    `${key}: ${specifier} (connector "${factory.name}") ${theirs}, but this gateway (@spoke/gateway ${gatewayVersion()}) ` +
    `speaks specification ${SPECIFICATION_VERSION}; install a version of the connector built for ${SPECIFICATION_VERSION} ` +
    '(its @spoke/core peer dependency says which)'
  );
}

/**
 * The error for a connector name nothing was found for: every specifier
 * tried, the connector packages that are installed (with the closest one
 * suggested) and how to install the first specifier.
 */
function notInstalledMessage(connector: string, specifiers: readonly string[]): string {
  const wanted = specifiers[0] as string;
  if (wanted.startsWith('file:')) return `no such file: ${new URL(wanted).pathname}`;
  const installed = installedConnectors();
  const suggestion = closestName(connector, installed) ?? closestName(wanted, installed);
  const tried = specifiers.map((s) => (s.startsWith('file:') ? new URL(s).pathname : s)).join(', ');
  return (
    `no connector package for "${connector}" (tried ${tried}); ` +
    `installed connectors: ${installed.length > 0 ? installed.join(', ') : 'none'}` +
    `${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; install it: npm install ${wanted}`
  );
}

/**
 * Imports every configured source's connector package and creates the
 * connectors, in config order. When one fails, those already created are
 * closed before the error is re-thrown, so a bad config leaks no pools.
 *
 * Errors that are not {@link SpokeError}s (a driver's) become
 * `SOURCE_UNAVAILABLE` naming the source, with the original as the cause.
 */
export async function loadConnectors(config: GatewayConfig): Promise<Record<string, SpokeConnector>> {
  const created: Record<string, SpokeConnector> = {};
  try {
    for (const [name, source] of Object.entries(config.sources)) {
      const factory = await importConnector(source.connector, name, config.baseDir);
      try {
        created[name] = await factory.create(source.options, { sourceName: name, baseDir: config.baseDir });
      } catch (error) {
        if (SpokeError.isInstance(error)) throw error;
        throw new SpokeError(
          ErrorCode.SOURCE_UNAVAILABLE,
          `sources.${name}: ${(error as Error)?.message ?? String(error)}`,
          {
            cause: error,
            source: name,
          },
        );
      }
    }
    return created;
  } catch (error) {
    await Promise.allSettled(Object.values(created).map((c) => c.close()));
    throw error;
  }
}
