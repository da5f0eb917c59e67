import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ErrorCode, SpokeError } from '@spoke/core';
import { importConnector } from '../config/load-connectors.js';
import {
  normalizeMarkdownTables,
  renderConnectorDocs,
  replaceConnectorDocs,
} from '../format/connector-docs.js';
import { UsageError } from './usage-error.js';

/** `spoke connector-docs --help`. */
export const CONNECTOR_DOCS_HELP = `Usage: spoke connector-docs <connector> [--readme FILE [--check]]

Generates a connector's README sections — the options table, the type
mapping and the push-down matrix — from what its package declares
(defineConnector({ options, types, capabilities })).

<connector> is resolved as in a config's connector: (a short name such as
postgres, a package name, or a path such as ./dist/index.js).

Options:
      --readme FILE  replace the block between <!-- spoke connector-docs:start -->
                     and <!-- spoke connector-docs:end --> in FILE
      --check        with --readme: write nothing, exit 1 when FILE's block
                     is not what the declarations give (for a test or CI)
  -h, --help         this help

Without --readme the Markdown is printed.`;

/** `spoke connector-docs`: the README tables of a connector, from its declarations. */
export async function connectorDocsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      readme: { type: 'string' },
      check: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${CONNECTOR_DOCS_HELP}\n`);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(`expected one connector, got ${positionals.length}`, 'connector-docs');
  if (values.check && !values.readme) throw new UsageError('--check needs --readme FILE', 'connector-docs');
  const factory = await importConnector(positionals[0]!, 'connector-docs', process.cwd()).catch((error) => {
    // importConnector names a config key (sources.NAME.connector); here the argument was the connector.
    if (!SpokeError.isInstance(error)) throw error;
    throw new SpokeError(error.code, error.message.replace(/^sources\.connector-docs\.connector: /, ''), {
      cause: error,
    });
  });
  const generated = renderConnectorDocs(factory);
  if (!values.readme) {
    process.stdout.write(generated);
    return 0;
  }
  const file = resolve(values.readme);
  const before = await readFile(file, 'utf8').catch((error: Error) => {
    throw new SpokeError(ErrorCode.INVALID_CONFIG, `--readme: cannot read ${file}: ${error.message}`);
  });
  let after: string;
  try {
    after = replaceConnectorDocs(before, generated);
  } catch (error) {
    throw new SpokeError(ErrorCode.INVALID_CONFIG, `--readme ${file}: ${(error as Error).message}`);
  }
  if (values.check) {
    if (normalizeMarkdownTables(after) === normalizeMarkdownTables(before)) return 0;
    process.stderr.write(
      `spoke: ${file} is out of date with connector "${factory.name}"'s declarations; run: spoke connector-docs ${positionals[0]} --readme ${values.readme}\n`,
    );
    return 1;
  }
  if (after !== before) await writeFile(file, after);
  process.stderr.write(`spoke: ${after === before ? 'unchanged' : 'updated'} ${file}\n`);
  return 0;
}
