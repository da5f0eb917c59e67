/**
 * Builds what the listeners share from a config: the authenticator, the
 * query service (limits, audit, metrics) and the logger.
 */
import type { QueryEngine } from '@spoke/planner';
import { Authenticator } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { EventSink } from '../events/event-bus.js';
import { auditEventSink, jsonLinesSink } from '../events/json-lines-sink.js';
import { Operator, type OperatorOptions } from '../events/operator.js';
import { sourcesView } from '../health/source-status.js';
import type { AdmissionGate } from './admission.js';
import { type AuditSink, NO_AUDIT, openAuditSink } from './audit-log.js';
import { planCacheSamples, readCacheSamples } from './engine-caches.js';
import { createLogger, type Logger } from './logger.js';
import { QueryService } from './query-service.js';
import type { SourceMeter } from './source-meter.js';

/** What {@link createGatewayServices} returns. */
export interface GatewayServices {
  readonly auth: Authenticator;
  readonly service: QueryService;
  readonly logger: Logger;
  /** Access events and source health (with a meter only: it is what sees the sources). */
  readonly operator?: Operator;
}

/**
 * The authenticator, query service and logger a config describes. The
 * authenticator is built first, so a bad JWKS file fails before anything opens.
 *
 * @param meter - the meter the engine's connectors were wrapped with (see `createGatewayEngine`)
 */
export function createGatewayServices(
  engine: QueryEngine,
  config: GatewayConfig,
  options: {
    readonly meter?: SourceMeter;
    readonly logger?: Logger;
    /** Where audit lines go instead of the `audit:` destination (a cluster worker sends them to the primary). */
    readonly audit?: AuditSink;
    /** Where query slots come from instead of this process (a cluster worker asks the primary). */
    readonly admission?: AdmissionGate;
  } = {},
): GatewayServices {
  const logger = options.logger ?? createLogger(config.logging ?? {});
  const auth = new Authenticator({
    ...(config.users ? { users: config.users } : {}),
    ...(config.apiKeys ? { apiKeys: config.apiKeys } : {}),
    ...(config.auth?.jwt ? { jwt: config.auth.jwt } : {}),
    ...(config.auth?.loginThrottle !== undefined ? { loginThrottle: config.auth.loginThrottle } : {}),
  });
  const audit = config.audit ? (options.audit ?? openAuditSink(config.audit)) : NO_AUDIT;
  const service = new QueryService(engine, {
    ...(config.limits ? { limits: config.limits } : {}),
    audit,
    redactLiterals: config.audit?.redactLiterals ?? false,
    logger,
    ...(options.meter ? { meter: options.meter } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
  });
  service.metrics.bindReadCache(() => readCacheSamples(engine));
  service.metrics.bindPlanCache(() => planCacheSamples(engine));
  if (options.meter) {
    const meter = options.meter;
    service.metrics.bindSources(() => meter.connectorMetrics());
    const operator = new Operator(meter, { metrics: service.metrics, ...operatorOptions(config, audit) });
    // spoke.sources: the same rows as /v1/sources, for whoever runs the query.
    meter.sourcesView = sourcesView(
      operator,
      (context, signal) => engine.catalog(signal, context),
      auth.required,
    );
    return { auth, service, logger, operator };
  }
  return { auth, service, logger };
}

/** The `events:` section as operator options: its sinks and probe timing. */
function operatorOptions(config: GatewayConfig, audit: AuditSink): OperatorOptions {
  const events = config.events;
  if (!events) return {};
  const sinks: EventSink[] = [];
  if (events.file) sinks.push(jsonLinesSink(events.file));
  if (events.audit && audit.writeLine) sinks.push(auditEventSink((line) => audit.writeLine!(line)));
  return {
    sinks,
    ...(events.buffer !== undefined ? { capacity: events.buffer } : {}),
    health: {
      ...(events.probeIntervalMs !== undefined ? { intervalMs: events.probeIntervalMs } : {}),
      ...(events.probeTimeoutMs !== undefined ? { timeoutMs: events.probeTimeoutMs } : {}),
      ...(events.freshnessIntervalMs !== undefined
        ? { freshnessIntervalMs: events.freshnessIntervalMs }
        : {}),
    },
  };
}

/** Whether `host` is a loopback address (or `localhost`). */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(h) ||
    /^::ffff:127\.\d+\.\d+\.\d+$/.test(h)
  );
}
