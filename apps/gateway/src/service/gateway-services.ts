/**
 * Builds what the listeners share from a config: the authenticator, the
 * query service (limits, audit, metrics) and the logger.
 */
import type { QueryEngine } from '@spoke/planner';
import { Authenticator } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { Operator } from '../events/operator.js';
import { NO_AUDIT, openAuditSink } from './audit-log.js';
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
  options: { readonly meter?: SourceMeter; readonly logger?: Logger } = {},
): GatewayServices {
  const logger = options.logger ?? createLogger(config.logging ?? {});
  const auth = new Authenticator({
    ...(config.users ? { users: config.users } : {}),
    ...(config.apiKeys ? { apiKeys: config.apiKeys } : {}),
    ...(config.auth?.jwt ? { jwt: config.auth.jwt } : {}),
    ...(config.auth?.loginThrottle !== undefined ? { loginThrottle: config.auth.loginThrottle } : {}),
  });
  const service = new QueryService(engine, {
    ...(config.limits ? { limits: config.limits } : {}),
    audit: config.audit ? openAuditSink(config.audit) : NO_AUDIT,
    redactLiterals: config.audit?.redactLiterals ?? false,
    logger,
    ...(options.meter ? { meter: options.meter } : {}),
  });
  if (options.meter) {
    const meter = options.meter;
    service.metrics.bindSources(() => meter.connectorMetrics());
    const operator = new Operator(meter, { metrics: service.metrics });
    return { auth, service, logger, operator };
  }
  return { auth, service, logger };
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
