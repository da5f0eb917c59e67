import { parseArgs } from 'node:util';
import { createGatewayEngine } from '../create-gateway-engine.js';
import { explainText } from '../format/explain-text.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromOptions } from './config-source.js';
import { parseParam } from './query-command.js';
import { readSqlArgument } from './read-sql-argument.js';
import { UsageError } from './usage-error.js';

/** `spoke explain --help`. */
export const EXPLAIN_HELP = `Usage: spoke explain (--config FILE | --demo) [options] "SQL"

Shows how a query would run, without running it: what each source is asked
(columns, filters and whether the source applies them exactly, limits, or the
whole sub-query sent to a SQL source), the optimizer's strategy, estimated
rows, bytes and cost per read and the alternatives it beat, and the SQL
embedded DuckDB runs over their answers. With --analyze the query runs and
each read shows what it actually returned, how long it took and how far off
the estimate was.

Options:
${CONFIG_HELP}
  -f, --format FORMAT text (default) or json (the plan object, as POST /v1/explain returns it)
  -p, --param VALUE   a value for $1, $2, …, as in spoke query
      --analyze       run the query and add the actual rows, bytes and times (EXPLAIN ANALYZE)
  -h, --help          this help

Example:
  spoke explain --demo "SELECT name FROM crm.customers WHERE region = 'APAC' LIMIT 5"`;

/** `spoke explain`: returns the exit code. */
export async function explainCommand(args: string[], log: (message: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONFIG_OPTIONS,
      format: { type: 'string', short: 'f', default: 'text' },
      param: { type: 'string', short: 'p', multiple: true },
      analyze: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${EXPLAIN_HELP}\n`);
    return 0;
  }
  if (values.format !== 'text' && values.format !== 'json')
    throw new UsageError(`--format must be text or json, got "${values.format}"`, 'explain');
  const sql = await readSqlArgument(positionals, 'explain');
  const config = await configFromOptions(values, log);
  const engine = await createGatewayEngine(config);
  try {
    const params = (values.param ?? []).map(parseParam);
    const plan = await engine.explain(sql, {
      ...(params.length > 0 ? { params } : {}),
      ...(values.analyze ? { analyze: true } : {}),
    });
    const out =
      values.format === 'json'
        ? `${JSON.stringify(plan, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
        : explainText(plan);
    process.stdout.write(out);
    return 0;
  } finally {
    await engine.close();
  }
}
