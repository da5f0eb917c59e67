/**
 * `@spoke/gateway` — the `spoke` server and CLI, also usable as a library:
 * load a config, build the engine, start the listeners.
 *
 * @packageDocumentation
 */
export {
  ANONYMOUS,
  Authenticator,
  type AuthenticatorOptions,
  LoginAttempt,
  type LoginClient,
  type Principal,
} from './auth/authenticator.js';
export { JwtVerifier } from './auth/jwt-verifier.js';
export { LOGIN_FAILED_MESSAGE, LoginFailure, type LoginProtocol } from './auth/login-failure.js';
export {
  generateApiKey,
  hashApiKey,
  hashPasswordScrypt,
  scramVerifierFor,
} from './auth/password-hash.js';
export type {
  ApiKeyConfig,
  AuditConfig,
  AuthConfig,
  DuckDbEngineConfig,
  GatewayConfig,
  JwtConfig,
  LimitsConfig,
  ListenAddress,
  LoggingConfig,
  LoginThrottleConfig,
  ServerConfig,
  SourceConfig,
  TlsFiles,
  UserConfig,
} from './config/gateway-config.js';
export { interpolateEnv } from './config/interpolate-env.js';
export { type LoadConfigOptions, loadConfig, parseConfig } from './config/load-config.js';
export { connectorSpecifiers, importConnector, loadConnectors } from './config/load-connectors.js';
export { DEFAULT_SERVER, validateConfig } from './config/validate-config.js';
export { createGatewayEngine } from './create-gateway-engine.js';
export { defaultDemoDir, demoConfig } from './demo/demo-config.js';
export { DEMO_ROWS, type DemoData, ensureDemoData } from './demo/generate-demo-data.js';
export { ERROR_STATUS, HttpErrorCode } from './http/error-status.js';
export {
  ARROW_STREAM_TYPE,
  type HttpServerOptions,
  type RunningHttpServer,
  startHttpServer,
} from './http/http-server.js';
export { type ErrorFields, errorFields } from './postgres-wire/error-response.js';
export type { PostgresWireCluster } from './postgres-wire/postgres-server.js';
export type { AdmissionGate } from './service/admission.js';
export { type AuditRecord, type AuditSink, openAuditSink } from './service/audit-log.js';
export { createGatewayServices, type GatewayServices, isLoopback } from './service/gateway-services.js';
export { createLogger, type Logger } from './service/logger.js';
export { GatewayMetrics } from './service/metrics.js';
export {
  ADMIN_ROLE,
  type ClientInfo,
  type GatewayPeers,
  type Protocol,
  QueryService,
  type QueryServiceOptions,
  type RunningQueryInfo,
} from './service/query-service.js';
export { redactLiterals } from './service/redact-sql.js';
export { SourceMeter } from './service/source-meter.js';
export {
  type RunningGateway,
  type RunningPostgresListener,
  type RunningPostgresServer,
  type StartGatewayOptions,
  startGateway,
} from './start-gateway.js';
