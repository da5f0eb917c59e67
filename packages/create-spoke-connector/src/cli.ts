import { parseArgs } from 'node:util';
import { CONNECTOR_KINDS, type ConnectorKind, scaffoldConnector } from './scaffold.js';

/** `--help`. */
export const HELP = `Usage: npm create spoke-connector@latest <folder> [-- options]
       npx create-spoke-connector <folder> [options]

Writes a Spoke connector package into <folder> (new or empty): package.json,
the source files to fill in, the conformance kit as \`npm test\`, a README and,
inside the Spoke monorepo, a changeset.

Options:
  --kind table          a table source on BaseConnector/BaseTable (the default)
  --kind sql            a SQL-speaking source on the SQL-source toolkit
                        (SqlSourceConnector; a DuckDB file as the example engine)
  --name NAME           the connector's short name, used as \`connector: NAME\`
                        (default: the folder's name without spoke-connector-)
  --package-name NAME   the npm package (default spoke-connector-NAME, or
                        @spoke/connector-NAME inside the Spoke monorepo)
  -h, --help            this text
`;

/**
 * The command: parses `argv`, scaffolds, prints the next steps. Returns the
 * exit code (2 for a usage error, 1 when scaffolding fails).
 */
export async function main(
  argv: readonly string[],
  out: (text: string) => void = (text) => process.stdout.write(text),
  err: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  let values: { kind?: string; name?: string; 'package-name'?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        kind: { type: 'string' },
        name: { type: 'string' },
        'package-name': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    err(`create-spoke-connector: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    out(HELP);
    return 0;
  }
  const kind = values.kind ?? 'table';
  if (positionals.length !== 1 || !(CONNECTOR_KINDS as readonly string[]).includes(kind)) {
    err(
      `create-spoke-connector: ${
        positionals.length !== 1
          ? `expected one folder, got ${positionals.length}`
          : `--kind must be one of ${CONNECTOR_KINDS.join(', ')}, got "${kind}"`
      }\n\n${HELP}`,
    );
    return 2;
  }
  try {
    const result = await scaffoldConnector({
      directory: positionals[0] as string,
      kind: kind as ConnectorKind,
      ...(values.name ? { name: values.name } : {}),
      ...(values['package-name'] ? { packageName: values['package-name'] } : {}),
    });
    out(
      `Created ${result.names.packageName} (connector "${result.names.name}", ${kind}) in ${result.directory}:\n` +
        result.files.map((f) => `  ${f}\n`).join('') +
        `\nNext:\n  cd ${positionals[0]}\n  npm install\n  npm test        # the conformance kit\n` +
        `  npm pack        # then: npm install @spoke/gateway ./${result.names.packageName.replace('@', '').replace('/', '-')}-0.1.0.tgz\n` +
        `\nIn the gateway's config: sources: { mine: { connector: ${result.names.name}, ... } }\n`,
    );
    return 0;
  } catch (error) {
    err(`create-spoke-connector: ${(error as Error).message}\n`);
    return 1;
  }
}
