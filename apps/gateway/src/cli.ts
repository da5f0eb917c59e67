#!/usr/bin/env node
/**
 * The `spoke` command: `serve`, `query`, `explain`, `ask`. Every failure ends with
 * exit status 1 and one line on standard error, `spoke: CODE: message`.
 */
import { readFileSync } from 'node:fs';
import { SpokeError } from '@spoke/core';
import { UsageError } from './cli/usage-error.js';

const HELP = `Usage: spoke <command> [options]

Spoke is a federated SQL gateway: one PostgreSQL-dialect query joins tables
from the sources a YAML config names.

Commands:
  serve     serve HTTP and the PostgreSQL wire protocol
  query     run one SQL statement in-process and print the rows (table, json, csv)
  explain   show what each source is asked and what DuckDB runs
  ask       answer a question in natural language (needs nl: in the config)
  cypher    run a Cypher query over a graph of the config (graphs:)
  hash-password  hash a password (stdin) for users: in the config, or make an API key
  connector-docs generate a connector's README tables from its declarations

Options:
  -h, --help     this help (each command has its own: spoke query --help)
  -v, --version  the version

Try it without any setup:
  spoke serve --demo
  spoke query --demo "SELECT * FROM crm.customers LIMIT 5"`;

/** A command: its arguments after the command's name, and where to log; resolves to the exit status. */
type Command = (args: string[], log: (message: string) => void) => Promise<number>;

/**
 * Each command's module, loaded only when it runs: `spoke --help` and `spoke hash-password` need
 * none of the planner, DuckDB or the connectors that `serve` and `query` load.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./cli/serve-command.js')).serveCommand,
  query: async () => (await import('./cli/query-command.js')).queryCommand,
  explain: async () => (await import('./cli/explain-command.js')).explainCommand,
  ask: async () => (await import('./cli/ask-command.js')).askCommand,
  cypher: async () => (await import('./cli/cypher-command.js')).cypherCommand,
  'hash-password': async () => (await import('./cli/hash-password-command.js')).hashPasswordCommand,
  'connector-docs': async () => (await import('./cli/connector-docs-command.js')).connectorDocsCommand,
};

/** The command called `name`, if there is one (never an `Object.prototype` member such as `constructor`). */
function commandNamed(name: string | undefined): (() => Promise<Command>) | undefined {
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

const log = (message: string) => process.stderr.write(`spoke: ${message}\n`);

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const load = first === 'help' ? commandNamed(rest[0]) : undefined;
    if (load) return (await load())(['--help'], log);
    process.stdout.write(`${HELP}\n`);
    return first === undefined ? 1 : 0;
  }
  if (first === '-v' || first === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = commandNamed(first);
  if (!load)
    throw new UsageError(
      `unknown command "${first}"; expected serve, query, explain, ask, cypher, hash-password or connector-docs`,
    );
  const command = await load();
  try {
    return await command(rest, log);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((error as Error).message, first);
    throw error;
  }
}

function report(error: unknown): void {
  if (error instanceof UsageError) {
    log(`${oneLine(error.message)} (see: spoke ${error.command ? `${error.command} ` : ''}--help)`);
  } else if (SpokeError.isInstance(error)) {
    log(`${error.code}: ${oneLine(error.message)}`);
  } else {
    log(`INTERNAL: ${oneLine((error as Error)?.message ?? String(error))}`);
    if (process.env.SPOKE_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
  }
}

main(process.argv.slice(2))
  .catch((error: unknown) => {
    report(error);
    return 1;
  })
  .then((code) => {
    // Exit explicitly: a native handle left by a driver must not keep a finished command alive.
    process.stdout.write('', () => process.exit(code));
  });
