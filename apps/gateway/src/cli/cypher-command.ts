import { parseArgs } from 'node:util';
import { createGatewayEngine } from '../create-gateway-engine.js';
import { writeCsvRows } from '../format/csv-format.js';
import { explainText } from '../format/explain-text.js';
import { writeJsonRows } from '../format/json-format.js';
import { writeTableRows } from '../format/table-format.js';
import { textOutput } from '../format/text-output.js';
import { compileCypherCall, cypherParams, cypherStatementFor, graphsOf } from '../graph/graph-engine.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromOptions } from './config-source.js';
import { parseParam } from './query-command.js';
import { readSqlArgument } from './read-sql-argument.js';
import { UsageError } from './usage-error.js';

/** `spoke cypher --help`. */
export const CYPHER_HELP = `Usage: spoke cypher (--config FILE | --demo) --graph NAME [options] "CYPHER"

Runs one Cypher query over a graph of the config's graphs: section, in-process,
and prints the result. The query is compiled to SQL and planned like any other
(the same policies, push-down and limits). Use "-" to read it from standard input.

Options:
${CONFIG_HELP}
  -g, --graph NAME    the graph to query (required)
  -p, --param NAME=VALUE  a value for $NAME; repeat for each. VALUE is parsed as
                      JSON when it is valid JSON (42, true, "text", [1,2]),
                      otherwise taken as text
  -f, --format FORMAT table (default), json or csv, as in spoke query
  -e, --explain       print the SQL the query compiles to and the plan instead
  -h, --help          this help

Example:
  spoke cypher --demo --graph social "MATCH (a:Customer)-[:REFERRED]->(b) RETURN a.name, b.name LIMIT 5"`;

/** `spoke cypher`: returns the exit code. */
export async function cypherCommand(args: string[], log: (message: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONFIG_OPTIONS,
      graph: { type: 'string', short: 'g' },
      format: { type: 'string', short: 'f', default: 'table' },
      param: { type: 'string', short: 'p', multiple: true },
      explain: { type: 'boolean', short: 'e' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${CYPHER_HELP}\n`);
    return 0;
  }
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError(`--format must be table, json or csv, got "${format}"`, 'cypher');
  if (!values.graph) throw new UsageError('missing --graph NAME (a graph of the config)', 'cypher');
  const params: Record<string, unknown> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects NAME=VALUE, got "${p}"`, 'cypher');
    params[p.slice(0, eq)] = parseParam(p.slice(eq + 1));
  }
  const query = await readSqlArgument(positionals, 'cypher');
  const config = await configFromOptions(values, log);
  const engine = await createGatewayEngine(config);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const statement = cypherParams(values.graph, query, params);
    if (values.explain) {
      const compiled = await compileCypherCall(graphsOf(engine), statement);
      const plan = await engine.explain(cypherStatementFor(query), {
        params: statement,
        signal: controller.signal,
      });
      process.stdout.write(
        `Cypher:\n    ${query.trim()}\nSQL:\n    ${compiled.sql.replaceAll('\n', '\n    ')}\n`,
      );
      process.stdout.write(explainText(plan));
      return 0;
    }
    const result = await engine.query(cypherStatementFor(query), {
      params: statement,
      signal: controller.signal,
    });
    const write = textOutput(process.stdout);
    if (format === 'json') await writeJsonRows(result, write);
    else if (format === 'csv') await writeCsvRows(result, write);
    else await writeTableRows(result, write);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    await engine.close();
  }
}
