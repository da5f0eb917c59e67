/**
 * Shared by the operator tests (authentication, TLS, limits, audit,
 * metrics): a gateway started from YAML over the demo data — `crm` and
 * `lake` — on free loopback ports, with whatever operator sections a test
 * adds, built exactly as `spoke serve` builds it.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPasswordScrypt, scramVerifierFor } from '../src/auth/password-hash.js';
import type { GatewayConfig } from '../src/config/gateway-config.js';
import { parseConfig } from '../src/config/load-config.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { createGatewayServices, type GatewayServices } from '../src/service/gateway-services.js';
import { createLogger } from '../src/service/logger.js';
import { SourceMeter } from '../src/service/source-meter.js';
import { type RunningGateway, startGateway } from '../src/start-gateway.js';
import type { DemoFixture } from './demo-fixture.js';

/** A running gateway for one test suite. */
export interface OperatorGateway {
  readonly config: GatewayConfig;
  readonly gateway: RunningGateway;
  readonly services: GatewayServices;
  /** `http://127.0.0.1:port` (or https). */
  readonly url: string;
  readonly pgPort: number;
  /** Log lines written so far (JSON). */
  readonly logs: string[];
  close(): Promise<void>;
}

/** The sources part of the YAML, over the fixture's demo data. */
export function sourcesYaml(fixture: DemoFixture): string {
  const { dir, lakeFiles } = fixture.data;
  return `sources:
  crm: { connector: duckdb, path: ${JSON.stringify(join(dir, 'crm.duckdb'))} }
  lake:
    connector: duckdb
    files: { sales: ${JSON.stringify(join(dir, lakeFiles.sales))}, documents: ${JSON.stringify(join(dir, lakeFiles.documents))} }
`;
}

/** Starts a gateway from `yaml` (which must not hold `sources:`; `server:` defaults to both listeners on port 0). */
export async function startOperatorGateway(fixture: DemoFixture, yaml: string): Promise<OperatorGateway> {
  const server = yaml.includes('server:')
    ? ''
    : 'server:\n  http: { host: 127.0.0.1, port: 0 }\n  postgres: { host: 127.0.0.1, port: 0 }\n';
  const config = parseConfig(`${server}${yaml}\n${sourcesYaml(fixture)}`, fixture.root, 'test.yaml');
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', format: 'json', write: (line) => logs.push(line) });
  const meter = new SourceMeter();
  const engine = await createGatewayEngine(config, { meter });
  let gateway: RunningGateway;
  let services: GatewayServices;
  try {
    services = createGatewayServices(engine, config, { meter, logger });
    gateway = await startGateway(engine, config.server, (m) => logger.info(m), services);
  } catch (error) {
    await engine.close();
    throw error;
  }
  return {
    config,
    gateway,
    services,
    url: gateway.http?.url ?? '',
    pgPort: gateway.postgres?.port ?? 0,
    logs,
    close: () => gateway.close(),
  };
}

/** A user entry for the YAML, with real hashes of `password`. */
export async function userYaml(
  name: string,
  password: string,
  roles: string[] = [],
  withScram = true,
): Promise<string> {
  const lines = [`  ${name}:`, `    password_hash: "${await hashPasswordScrypt(password)}"`];
  if (withScram) lines.push(`    scram_sha_256: "${await scramVerifierFor(password)}"`);
  lines.push(`    roles: [${roles.join(', ')}]`);
  return lines.join('\n');
}

/** A self-signed certificate for 127.0.0.1 made with openssl in `dir`. */
export async function selfSignedCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore', timeout: 30_000 },
  );
  await writeFile(join(dir, '.keep'), '');
  return { certFile, keyFile };
}
