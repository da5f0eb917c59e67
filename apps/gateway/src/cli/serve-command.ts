import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Authenticator } from '../auth/authenticator.js';
import { startPrimary } from '../cluster/gateway-primary.js';
import { clusterWorkerId, serveAsWorker } from '../cluster/gateway-worker.js';
import { checkShareableSources } from '../cluster/shareable-sources.js';
import type { GatewayConfig, ListenAddress, ServerConfig } from '../config/gateway-config.js';
import { MAX_WORKERS } from '../config/validate-config.js';
import { createGatewayEngine } from '../create-gateway-engine.js';
import { consoleFiles } from '../http/console-files.js';
import { createGatewayServices } from '../service/gateway-services.js';
import { createLogger, type Logger } from '../service/logger.js';
import { SourceMeter } from '../service/source-meter.js';
import { type RunningGateway, startGateway } from '../start-gateway.js';
import { CONFIG_HELP, CONFIG_OPTIONS, configFromOptions } from './config-source.js';
import { UsageError } from './usage-error.js';

/** `spoke serve --help`. */
export const SERVE_HELP = `Usage: spoke serve (--config FILE | --demo) [options]

Serves the configured sources over HTTP, the PostgreSQL wire protocol and
Arrow Flight SQL, on the addresses in the config's server: section (HTTP
127.0.0.1:8080 and Postgres 127.0.0.1:5433 when the config has no server:
section; Flight SQL only when server.flight or --flight-port is given). Stops
cleanly on Ctrl+C or SIGTERM.

Options:
${CONFIG_HELP}
      --host HOST          listen on HOST for every protocol instead of the configured hosts
      --http-port PORT     HTTP port instead of the configured one (0: any free port)
      --postgres-port PORT Postgres wire port instead of the configured one (0: any free port)
      --flight-port PORT   Arrow Flight SQL port instead of the configured one (0: any free port)
      --workers N          processes sharing the listeners, instead of server.workers
                           (default: one per core; 1 serves in a single process)
  -h, --help               this help

HTTP endpoints: POST /v1/query, POST /v1/explain, GET /v1/catalog,
GET /v1/queries, DELETE /v1/queries/ID, GET /v1/queries/ID/progress,
GET /v1/sources, GET /v1/events, GET /metrics, GET /healthz; the console at
/console/ when @spoke/console is installed.

With several workers, each runs its own engine (connectors, pools, DuckDB);
concurrency limits, /v1/queries, cancellation, /metrics and the audit trail
cover them all.

Without users: in the config, authentication is off and every listener must
be on a loopback address. See docs/operators-guide.md.`;

/** A cross-source query over the demo data, used in the banner and README. */
export const DEMO_QUERY =
  'SELECT c.region, count(*) AS orders, sum(s.amount) AS revenue FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id GROUP BY c.region ORDER BY revenue DESC';

function port(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new UsageError(`${option} must be a port number from 0 to 65535, got "${text}"`, 'serve');
  return n;
}

/** A listener's address with the command line's overrides; its TLS files are kept. */
function override(
  address: ListenAddress | undefined,
  host: string | undefined,
  portNumber: number | undefined,
): ListenAddress | undefined {
  if (address === undefined && portNumber === undefined) return undefined;
  return {
    host: host ?? address?.host ?? '127.0.0.1',
    port: portNumber ?? address?.port ?? 0,
    ...(address?.tls ? { tls: address.tls } : {}),
  };
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Where the listeners are, as the banner prints them (a running gateway, or what a cluster's workers report). */
export interface BannerListeners {
  readonly http?: { readonly url: string };
  readonly postgres?: { readonly host: string; readonly port: number };
  readonly flight?: { readonly host: string; readonly port: number };
}

/**
 * The start banner: where each listener is and a line to try it.
 *
 * @param flightTls - whether the Flight SQL listener serves TLS (printed as `grpc+tls://`)
 * @param withConsole - whether `@spoke/console` is installed (its URL is printed)
 */
export function banner(
  gateway: BannerListeners,
  sources: string[],
  exampleSql: string,
  authentication: 'off' | 'on' = 'off',
  flightTls = false,
  withConsole = false,
): string {
  const lines = [
    `spoke is serving ${sources.length} source${sources.length === 1 ? '' : 's'}: ${sources.join(', ')}`,
    authentication === 'off'
      ? '  authentication is off (no users configured): listening on loopback only'
      : '  authentication is on: HTTP takes Authorization: Bearer API_KEY or JWT (or Basic), Postgres SCRAM-SHA-256',
  ];
  if (gateway.http) {
    const body = JSON.stringify({ sql: exampleSql });
    lines.push(
      `  HTTP      ${gateway.http.url}   (POST /v1/query, POST /v1/explain, GET /v1/catalog, GET /v1/queries, GET /metrics)`,
      `            curl -s${gateway.http.url.startsWith('https') ? 'k' : ''} ${gateway.http.url}/v1/query${authentication === 'on' ? ` -H "authorization: Bearer $SPOKE_API_KEY"` : ''} -H 'content-type: application/json' -d ${shellQuote(body)}`,
    );
  }
  if (gateway.http && withConsole)
    lines.push(
      `  Console   ${gateway.http.url}/console/   (the spoke map, a query workbench, running queries)`,
    );
  if (gateway.postgres) {
    const { host, port: p } = gateway.postgres;
    lines.push(
      `  Postgres  postgresql://${host}:${p}`,
      `            psql -h ${host} -p ${p} -c ${shellQuote(exampleSql)}`,
    );
  }
  if (gateway.flight) {
    const { host, port: p } = gateway.flight;
    lines.push(
      `  Flight    grpc${flightTls ? '+tls' : ''}://${host}:${p}   (Arrow Flight SQL: ADBC, JDBC, pyarrow.flight)`,
    );
  }
  lines.push('Press Ctrl+C to stop.');
  return `${lines.join('\n')}\n`;
}

/** `spoke serve`: resolves with the exit code once stopped by a signal. */
export async function serveCommand(args: string[], log: (message: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...CONFIG_OPTIONS,
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'postgres-port': { type: 'string' },
      'flight-port': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${SERVE_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, 'serve');
  const httpPort = port(values['http-port'], '--http-port');
  const postgresPort = port(values['postgres-port'], '--postgres-port');
  const flightPort = port(values['flight-port'], '--flight-port');
  const workersOption = workerCount(values.workers);
  const config = await configFromOptions(values, log);
  const http = override(config.server.http, values.host, httpPort);
  const postgres = override(config.server.postgres, values.host, postgresPort);
  const flight = override(config.server.flight, values.host, flightPort);
  const server: ServerConfig = {
    ...(http ? { http } : {}),
    ...(postgres ? { postgres } : {}),
    ...(flight ? { flight } : {}),
  };
  if (!server.http && !server.postgres && !server.flight)
    throw new UsageError(
      'nothing to serve: the config names none of server.http, server.postgres and server.flight',
      'serve',
    );

  const workerId = clusterWorkerId();
  if (workerId !== undefined) return serveAsWorker(workerId, config, server);
  // Inside someone else's cluster worker (an embedding), no workers of our own: cluster.fork exists in a primary only.
  const workers = cluster.isPrimary ? (workersOption ?? config.server.workers ?? availableParallelism()) : 1;
  const logger = createLogger(config.logging ?? {});
  if (workers > 1) {
    checkShareableSources(config, workers);
    return servePrimary(config, server, workers, logger, log, values.demo === true);
  }
  const meter = new SourceMeter();
  const engine = await createGatewayEngine(config, { meter });
  let gateway: RunningGateway;
  let auth: 'on' | 'off' = 'off';
  try {
    const services = createGatewayServices(engine, config, { meter, logger });
    auth = services.auth.required ? 'on' : 'off';
    gateway = await startGateway(engine, server, (message) => logger.info(message), services);
  } catch (error) {
    await engine.close();
    throw error;
  }
  // Signals are handled before the banner is out: whoever reads it may stop the server at once.
  const stopped = stopOnSignal(() => gateway.close(), log);
  await announce(gateway, config, server, auth, logger, values.demo === true);
  return stopped;
}

/** `--workers`: a count from 1 to {@link MAX_WORKERS}. */
function workerCount(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_WORKERS)
    throw new UsageError(`--workers must be a number from 1 to ${MAX_WORKERS}, got "${text}"`, 'serve');
  return n;
}

/** Resolves with the exit code once SIGINT or SIGTERM has stopped the server (a second signal exits at once). */
function stopOnSignal(close: () => Promise<void>, log: (message: string) => void): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        log(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      log(`${signal}: shutting down`);
      close().then(
        () => resolve(0),
        (error: unknown) => {
          log(`shutdown failed: ${(error as Error)?.message ?? String(error)}`);
          resolve(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Prints the banner and logs the listening line: once per gateway, however many workers it runs. */
async function announce(
  listeners: BannerListeners,
  config: GatewayConfig,
  server: ServerConfig,
  auth: 'on' | 'off',
  logger: Logger,
  demo: boolean,
  workers = 1,
): Promise<void> {
  process.stdout.write(
    banner(
      listeners,
      Object.keys(config.sources),
      demo ? DEMO_QUERY : 'SELECT 1 AS one',
      auth,
      server.flight?.tls !== undefined,
      (await consoleFiles()) !== undefined,
    ),
  );
  logger.info('listening', {
    http: listeners.http?.url ?? null,
    postgres: listeners.postgres ? `${listeners.postgres.host}:${listeners.postgres.port}` : null,
    flight: listeners.flight ? `${listeners.flight.host}:${listeners.flight.port}` : null,
    authentication: auth,
    ...(workers > 1 ? { workers } : {}),
  });
}

/**
 * `spoke serve` with several workers: this process forks them (they share
 * the listeners) and keeps the gateway-wide state; see cluster/gateway-primary.ts.
 */
async function servePrimary(
  config: GatewayConfig,
  server: ServerConfig,
  workers: number,
  logger: Logger,
  log: (message: string) => void,
  demo: boolean,
): Promise<number> {
  // Built here too so that a bad users:/auth: section fails before any worker starts.
  const auth = new Authenticator({
    ...(config.users ? { users: config.users } : {}),
    ...(config.apiKeys ? { apiKeys: config.apiKeys } : {}),
    ...(config.auth?.jwt ? { jwt: config.auth.jwt } : {}),
  });
  const primary = await startPrimary({
    workers,
    logger,
    ...(config.limits ? { limits: config.limits } : {}),
    ...(config.audit ? { audit: config.audit } : {}),
  });
  const stopped = stopOnSignal(() => primary.close(), log);
  await announce(primary.listeners, config, server, auth.required ? 'on' : 'off', logger, demo, workers);
  return stopped;
}
