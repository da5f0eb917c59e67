import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { ErrorCode, SpokeError } from '@spoke/core';
import { labelWithQuestion } from '@spoke/nl';
import { ANONYMOUS } from '../auth/authenticator.js';
import { createGatewayEngine } from '../create-gateway-engine.js';
import { writeCsvRows } from '../format/csv-format.js';
import { writeJsonRows } from '../format/json-format.js';
import { writeTableRows } from '../format/table-format.js';
import { textOutput } from '../format/text-output.js';
import { annotatorFor, nlOf, rowCounterFor } from '../nl/nl-engine.js';
import { createGatewayServices } from '../service/gateway-services.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromOptions } from './config-source.js';
import { UsageError } from './usage-error.js';

/** `spoke ask --help`. */
export const ASK_HELP = `Usage: spoke ask --config FILE [options] "QUESTION"

Answers a question in natural language: the language model configured under
nl.chat writes Spoke SQL from the catalog (as security policies let you see
it), Spoke checks the SQL with the planner before running it (the planner's
errors go back to the model, at most nl.maxRepairs times), then runs it.
The SQL is printed first (to standard error with --format json or csv).
Use "-" as the question to read it from standard input.

Options:
${CONFIG_HELP}
  -f, --format FORMAT table (default), json (rows as spoke query prints them)
                      or csv
      --dry-run       write and check the SQL, print it, run nothing
  -h, --help          this help

Exit status is 0 on success; on failure, 1 with one line on standard error:
  spoke: CODE: message

Example (with nl: { chat: { endpoint: http://127.0.0.1:11434/v1, model: qwen2.5-coder:7b } }):
  spoke ask --config spoke.yaml "revenue per region, largest first"`;

/** `spoke ask`: returns the exit code. */
export async function askCommand(args: string[], log: (message: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONFIG_OPTIONS,
      format: { type: 'string', short: 'f', default: 'table' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${ASK_HELP}\n`);
    return 0;
  }
  const format = values.format;
  if (format !== 'table' && format !== 'json' && format !== 'csv')
    throw new UsageError(`--format must be table, json or csv, got "${format}"`, 'ask');
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? 'missing the question (quote it as one argument, or give - to read standard input)'
        : `expected the question as one argument, got ${positionals.length}: quote it`,
      'ask',
    );
  const question = positionals[0] === '-' ? await text(process.stdin) : positionals[0]!;
  if (question.trim() === '') throw new UsageError('the question is empty', 'ask');
  const config = await configFromOptions(values, log);
  if (!config.nl)
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `${config.file ?? 'the config'}: no nl: section; add nl: { chat: { endpoint, model, apiKey } } (see the README, "Natural language")`,
    );
  const engine = await createGatewayEngine(config);
  // Through the query service, as every wire's queries: limits, and the config's audit trail (protocol cli).
  const { service } = createGatewayServices(engine, config);
  const caller = service.engineFor({ protocol: 'cli', principal: ANONYMOUS });
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const nl = nlOf(engine)!;
    // In-process, as `spoke query` runs: a caller without roles.
    const annotate = annotatorFor(engine, { roles: [] });
    const rowCount = rowCounterFor(engine);
    const answer = await nl.models.asker.ask(caller, question, {
      signal: controller.signal,
      dryRun: values['dry-run'] === true,
      label: labelWithQuestion,
      ...(annotate ? { annotate } : {}),
      ...(rowCount ? { rowCount } : {}),
      ...(nl.graphs ? { graphs: nl.graphs } : {}),
    });
    const write = textOutput(process.stdout);
    const sqlText = `-- ${answer.model}, ${answer.attempts} attempt${answer.attempts === 1 ? '' : 's'}\n${answer.sql};\n`;
    if (!answer.result) {
      await write(sqlText);
      return 0;
    }
    if (format === 'table') {
      await write(`${sqlText}\n`);
      await writeTableRows(answer.result, write);
    } else {
      process.stderr.write(sqlText);
      if (format === 'json') await writeJsonRows(answer.result, write);
      else await writeCsvRows(answer.result, write);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    await service.close();
    await engine.close();
  }
}
