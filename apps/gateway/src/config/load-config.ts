import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ErrorCode, SpokeError } from '@spoke/core';
import { parseDocument } from 'yaml';
import type { GatewayConfig } from './gateway-config.js';
import { interpolateEnv } from './interpolate-env.js';
import { validateConfig } from './validate-config.js';

/** Options for {@link loadConfig} and {@link parseConfig}. */
export interface LoadConfigOptions {
  /** The variables `${NAME}` is looked up in; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses the text of a YAML config: YAML syntax, then `${ENV}`
 * interpolation, then validation. Errors are `INVALID_CONFIG` and name the
 * key (or the line, for YAML syntax errors).
 *
 * @param text - the YAML
 * @param baseDir - what relative paths in the config are resolved against
 * @param file - the file name used in messages
 */
export function parseConfig(
  text: string,
  baseDir: string,
  file?: string,
  options: LoadConfigOptions = {},
): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    const where = `${file ?? 'config'}${at ? `:${at.line}:${at.col}` : ''}`;
    // yaml's pretty message spans several lines (it quotes the source); keep the first.
    const message = first.message.split('\n')[0];
    throw new SpokeError(ErrorCode.INVALID_CONFIG, `${where}: invalid YAML: ${message}`, { cause: first });
  }
  const raw = interpolateEnv(doc.toJS({ maxAliasCount: 100 }), options.env ?? process.env);
  return validateConfig(raw, baseDir, file);
}

/**
 * Reads and validates a config file. Relative paths in it (a DuckDB file, a
 * Parquet glob, DuckDB's temp directory) are resolved against the file's own
 * directory, so a config works from any working directory.
 */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<GatewayConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new SpokeError(ErrorCode.INVALID_CONFIG, `cannot read config ${file}: ${reason}`, { cause: error });
  }
  return parseConfig(text, dirname(path), file, options);
}
