/**
 * Two Spoke gateways as two processes, the way a hybrid deployment runs:
 * gateway R ("remote": shared data, in the cloud) serving Arrow Flight SQL,
 * and gateway L ("local": the analyst's machine) with R configured as a
 * `connector: flight-sql` source reached through a throttling TCP proxy, so
 * each test sets the link's latency and bandwidth and can see (and capture)
 * every byte that crosses it.
 *
 * L logs in to R as the user `peer` (roles from the options): R's policies for
 * that user hold for everything L reads there. Both gateways also have an
 * `admin` user, and L a user `analyst`, for the tests' own queries.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPasswordScrypt, scramVerifierFor } from '@spoke/gateway';
import { type LinkProfile, startThrottlingProxy, type ThrottlingProxy } from './throttling-proxy.js';

const SPOKE_BIN = join(
  dirname(fileURLToPath(import.meta.resolve('@spoke/gateway/package.json'))),
  'bin',
  'spoke.js',
);

/** The password of every user the harness creates (`admin`, `analyst`, `peer`). */
export const TWO_GATEWAYS_PASSWORD = 'two-gateways-pw';

/** A `spoke serve` child process. */
export interface GatewayProcess {
  readonly name: string;
  /** `http://127.0.0.1:port`. */
  readonly httpUrl: string;
  readonly pgPort: number;
  readonly flightPort: number;
  /** What it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /**
   * Runs `sql` over HTTP as `user` (default `admin`): the rows as JSON
   * values, or the error body (`code`, `message`, …) with the HTTP status.
   */
  query(sql: string, user?: string): Promise<GatewayAnswer>;
  /** `POST /v1/explain` as `user` (default `admin`): the plan's JSON, run first with `analyze`. */
  explain(
    sql: string,
    options?: { readonly analyze?: boolean; readonly user?: string },
  ): Promise<{ readonly status: number; readonly [key: string]: unknown }>;
  stop(): Promise<void>;
}

/** An HTTP answer from {@link GatewayProcess.query}. */
export interface GatewayAnswer {
  readonly status: number;
  readonly columns?: readonly { readonly name: string }[];
  readonly rows?: readonly (readonly unknown[])[];
  readonly error?: { readonly code: string; readonly message: string; readonly [key: string]: unknown };
}

/** Options for {@link startTwoGateways}. */
export interface TwoGatewaysOptions {
  /** R's `sources:` entries (YAML lines, indented by two spaces), e.g. `  pg: { connector: postgres, url: "…" }`. */
  readonly remoteSources: string;
  /** R's `policies:` entries (YAML list lines), applied to what L reads as `peer`. */
  readonly remotePolicies?: string;
  /** L's own sources besides `R` (YAML lines, indented by two spaces). */
  readonly localSources: string;
  /** L's `policies:` entries. */
  readonly localPolicies?: string;
  /** The roles `peer` has at R. Default `[peer]`. */
  readonly peerRoles?: readonly string[];
  /** The link L → R. */
  readonly upstream?: LinkProfile;
  /** The link R → L. */
  readonly downstream?: LinkProfile;
  /**
   * `sources.R.link` at L: what L's cost model starts from for the link
   * (`latencyMs` to a first row, `mbps`, `rowsPerSecond`). `'from-profile'`
   * derives it from `upstream`/`downstream` (round-trip latency, downstream
   * bandwidth). Absent: none (the model learns from reads).
   */
  readonly remoteLink?:
    | 'from-profile'
    | { readonly latencyMs?: number; readonly mbps?: number; readonly rowsPerSecond?: number };
  /** More top-level YAML for R's config (`limits:`, `audit:`…). */
  readonly remoteExtraYaml?: string;
  /** More top-level YAML for L's config. */
  readonly localExtraYaml?: string;
  /** Capture the bytes L sends to R. Default true. */
  readonly capture?: boolean;
  /**
   * Serve R's Flight SQL over TLS (a self-signed certificate for 127.0.0.1,
   * made with openssl) and have L trust it: the link is `grpc+tls`.
   */
  readonly tls?: boolean;
  /** Where config files go; a temporary directory by default (removed on close). */
  readonly dir?: string;
}

/** The running pair. */
export interface TwoGateways {
  readonly local: GatewayProcess;
  readonly remote: GatewayProcess;
  /** The link between them: counters, capture, profile. */
  readonly proxy: ThrottlingProxy;
  /** The directory holding both configs (and whatever the test put there). */
  readonly dir: string;
  close(): Promise<void>;
}

async function userYaml(name: string, roles: readonly string[]): Promise<string> {
  return [
    `  ${name}:`,
    `    password_hash: "${await hashPasswordScrypt(TWO_GATEWAYS_PASSWORD)}"`,
    `    scram_sha_256: "${await scramVerifierFor(TWO_GATEWAYS_PASSWORD)}"`,
    `    roles: [${roles.join(', ')}]`,
  ].join('\n');
}

/** `link-cert.pem` and `link-key.pem` in `dir`: a self-signed certificate for 127.0.0.1. */
function selfSignedCertificate(dir: string): void {
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'link-key.pem')]
      .concat(['-out', join(dir, 'link-cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'])
      .concat(['-addext', 'subjectAltName=IP:127.0.0.1']),
    { stdio: 'ignore', timeout: 30_000 },
  );
}

/** `, link: { … }` for L's R source, or nothing. */
function linkYaml(options: TwoGatewaysOptions): string {
  let link = options.remoteLink;
  if (link === undefined) return '';
  if (link === 'from-profile') {
    const latencyMs = (options.upstream?.latencyMs ?? 0) + (options.downstream?.latencyMs ?? 0);
    const bytesPerSecond = options.downstream?.bytesPerSecond;
    link = {
      ...(latencyMs > 0 ? { latencyMs } : {}),
      ...(bytesPerSecond ? { mbps: (bytesPerSecond * 8) / 1_000_000 } : {}),
    };
  }
  const entries = Object.entries(link).filter(([, v]) => v !== undefined);
  return entries.length ? `, link: { ${entries.map(([k, v]) => `${k}: ${v}`).join(', ')} }` : '';
}

function basic(user: string): string {
  return `Basic ${Buffer.from(`${user}:${TWO_GATEWAYS_PASSWORD}`).toString('base64')}`;
}

/** Starts `spoke serve --config <path>` and waits for its banner. */
export async function startGatewayProcess(name: string, configPath: string): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [SPOKE_BIN, 'serve', '--workers', '1', '--config', configPath],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c;
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no banner in 60 s: ${out} ${err}`)), 60_000);
      const check = () => {
        if (out.includes('Press Ctrl+C')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name}: spoke serve exited with ${code}: ${err}`));
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const httpUrl = /HTTP\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;
  const pgPort = Number(/Postgres\s+postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const flightPort = Number(/Flight\s+grpc\S*?:(\d+)/.exec(out)![1]);
  return {
    name,
    httpUrl,
    pgPort,
    flightPort,
    stderr: () => err,
    async query(sql, user = 'admin') {
      const res = await fetch(`${httpUrl}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(user) },
        body: JSON.stringify({ sql }),
      });
      const body = (await res.json()) as Omit<GatewayAnswer, 'status'>;
      return { status: res.status, ...body };
    },
    async explain(sql, options = {}) {
      const res = await fetch(`${httpUrl}/v1/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(options.user ?? 'admin') },
        body: JSON.stringify({ sql, ...(options.analyze ? { analyze: true } : {}) }),
      });
      return { status: res.status, ...((await res.json()) as Record<string, unknown>) };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Starts R, the proxy in front of its Flight port, then L with R as a `flight-sql` source through the proxy. */
export async function startTwoGateways(options: TwoGatewaysOptions): Promise<TwoGateways> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'spoke-two-gateways-'));
  const started: { stop(): Promise<void> }[] = [];
  let proxy: ThrottlingProxy | undefined;
  const cleanup = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => {});
    await proxy?.close();
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const remoteConfig = join(dir, 'remote.yaml');
    if (options.tls) selfSignedCertificate(dir);
    const flightTls = options.tls ? ', tls: { cert_file: link-cert.pem, key_file: link-key.pem }' : '';
    writeFileSync(
      remoteConfig,
      `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  flight: { host: 127.0.0.1, port: 0${flightTls} }
users:
${await userYaml('admin', ['admin'])}
${await userYaml('peer', options.peerRoles ?? ['peer'])}
logging: { level: warn }
sources:
${options.remoteSources}
${options.remotePolicies ? `policies:\n${options.remotePolicies}\n` : ''}${options.remoteExtraYaml ?? ''}
`,
    );
    const remote = await startGatewayProcess('R', remoteConfig);
    started.push(remote);
    proxy = await startThrottlingProxy({
      target: { host: '127.0.0.1', port: remote.flightPort },
      ...(options.upstream ? { upstream: options.upstream } : {}),
      ...(options.downstream ? { downstream: options.downstream } : {}),
      capture: options.capture ?? true,
    });
    const localConfig = join(dir, 'local.yaml');
    writeFileSync(
      localConfig,
      `server:
  http: { host: 127.0.0.1, port: 0 }
  postgres: { host: 127.0.0.1, port: 0 }
  flight: { host: 127.0.0.1, port: 0 }
users:
${await userYaml('admin', ['admin'])}
${await userYaml('analyst', ['analyst'])}
logging: { level: warn }
sources:
  R: { connector: flight-sql, url: "${options.tls ? 'grpc+tls' : 'grpc'}://${proxy.address}", username: peer, password: "${TWO_GATEWAYS_PASSWORD}"${options.tls ? ', tls: { ca: link-cert.pem }' : ''}${linkYaml(options)} }
${options.localSources}
${options.localPolicies ? `policies:\n${options.localPolicies}\n` : ''}${options.localExtraYaml ?? ''}
`,
    );
    const local = await startGatewayProcess('L', localConfig);
    started.push(local);
    const link = proxy;
    return { local, remote, proxy: link, dir, close: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
