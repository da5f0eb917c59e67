/**
 * Starts `spoke serve` as a child process on free loopback ports, for tests
 * that drive the gateway as its users do (psql, node-pg, HTTP, the CLI).
 *
 * A free port is only free when asked: the OS may hand it to another
 * process — an outgoing connection of a test running alongside takes its
 * local port from the same range — before the gateway binds it. The gateway
 * then refuses to start (`port … is already in use`); the start is retried
 * on new ports, a few times, and any other failure is reported at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './postgres-server.js';

/** A running `spoke serve`. */
export interface SpokeServe {
  readonly process: ChildProcess;
  readonly httpPort: number;
  readonly pgPort: number;
  /** What it printed so far. */
  output(): string;
}

const cli = resolve(dirname(fileURLToPath(import.meta.url)), '../../apps/gateway/dist/cli.js');
const ATTEMPTS = 3;

/**
 * Writes `config(ports)` (the YAML after its `server:` lines, which name the
 * two ports) to `dir/spoke.yaml`, starts `spoke serve --workers 1` on it and
 * waits until `/healthz` answers.
 */
export async function startSpokeServe(options: {
  readonly dir: string;
  /** The config's `sources:` (and anything else but `server:`). */
  readonly config: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}): Promise<SpokeServe> {
  let last = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const httpPort = await freePort();
    const pgPort = await freePort();
    const configPath = join(options.dir, 'spoke.yaml');
    writeFileSync(
      configPath,
      `server:\n  http: { host: 127.0.0.1, port: ${httpPort} }\n  postgres: { host: 127.0.0.1, port: ${pgPort} }\n${options.config}`,
    );
    const child = spawn(process.execPath, [cli, 'serve', '--workers', '1', '--config', configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${httpPort}/healthz`)
        .then((r) => r.ok)
        .catch(() => false);
      if (ok) return { process: child, httpPort, pgPort, output: () => output };
      if (Date.now() > deadline || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    last = output;
    if (!/already in use/.test(output)) break;
  }
  throw new Error(`spoke serve did not start:\n${last}`);
}
