/**
 * `@spoke/gateway` — the `spoke` server and CLI, also usable as a library:
 * load a config, build the engine, start the listeners.
 *
 * @packageDocumentation
 */
export type {
  DuckDbEngineConfig,
  GatewayConfig,
  ListenAddress,
  ServerConfig,
  SourceConfig,
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
export { type RunningGateway, type RunningPostgresServer, startGateway } from './start-gateway.js';
