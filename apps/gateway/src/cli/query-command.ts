import { parseArgs } from 'node:util';
import type { ScalarValue } from '@spoke/core';
import { createGatewayEngine } from '../create-gateway-engine.js';
import { writeCsvRows } from '../format/csv-format.js';
import { writeJsonRows } from '../format/json-format.js';
import { writeTableRows } from '../format/table-format.js';
import { type TextOutput, textOutput } from '../format/text-output.js';
import { SourceMeter } from '../service/source-meter.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromOptions } from './config-source.js';
import { startProgress } from './query-progress.js';
import { readSqlArgument } from './read-sql-argument.js';
import { UsageError } from './usage-error.js';

/** `spoke query --help`. */
export const QUERY_HELP = `Usage: spoke query (--config FILE | --demo) [options] "SQL"

Runs one SQL statement in-process (no server needed) and prints the result.
Use "-" as the SQL to read it from standard input.

Options:
${CONFIG_HELP}
  -f, --format FORMAT table (default; aligned like psql), json (an array of row
                      objects), or csv (a header line, then RFC 4180 rows)
  -p, --param VALUE   a value for $1, $2, … in order; repeat for each. Parsed as
                      JSON when it is valid JSON (42, true, null, "text", [1,2]),
                      otherwise taken as text
  -h, --help          this help

Exit status is 0 on success; on failure, 1 with one line on standard error:
  spoke: CODE: message

Example:
  spoke query --demo --format json "SELECT region, count(*) AS n FROM crm.customers GROUP BY region"`;

/** Parses a `--param` value: JSON when it is JSON, text otherwise. */
export function parseParam(text: string): ScalarValue {
  try {
    return JSON.parse(text) as ScalarValue;
  } catch {
    return text;
  }
}

/** `spoke query`: returns the exit code. */
export async function queryCommand(args: string[], log: (message: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONFIG_OPTIONS,
      format: { type: 'string', short: 'f', default: 'table' },
      param: { type: 'string', short: 'p', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${QUERY_HELP}\n`);
    return 0;
  }
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError(`--format must be table, json or csv, got "${format}"`, 'query');
  const sql = await readSqlArgument(positionals, 'query');
  const config = await configFromOptions(values, log);
  // On a terminal, a progress line on stderr for a query that takes more than a second.
  const meter = new SourceMeter();
  const engine = await createGatewayEngine(config, { meter });
  const progress = startProgress(meter, process.stderr);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const params = (values.param ?? []).map(parseParam);
    const result = await engine.query(sql, {
      ...(params.length > 0 ? { params } : {}),
      signal: controller.signal,
    });
    const out = textOutput(process.stdout);
    const write: TextOutput = (text) => {
      progress.stop();
      return out(text);
    };
    if (format === 'json') await writeJsonRows(result, write);
    else if (format === 'csv') await writeCsvRows(result, write);
    else await writeTableRows(result, write);
    return 0;
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    await engine.close();
  }
}
