/**
 * Starts `spoke serve` as a child process on loopback ports the OS picks,
 * for tests that drive the gateway as its users do (psql, node-pg, HTTP,
 * the CLI).
 *
 * The config asks for port 0 and the ports are read from the banner: a port
 * found free beforehand may be handed to another process — an outgoing
 * connection of a test running alongside takes its local port from the
 * same range — before the gateway binds it (CI saw `port … is already in
 * use`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPOKE_CLI } from './spoke-cli.js';

/** A running `spoke serve`. */
export interface SpokeServe {
  readonly process: ChildProcess;
  readonly httpPort: number;
  readonly pgPort: number;
  /** What it printed so far. */
  output(): string;
}

/**
 * Writes a config (the `server:` lines, then `config`) to `dir/spoke.yaml`,
 * starts `spoke serve --workers 1` on it and waits for its banner.
 */
export async function startSpokeServe(options: {
  readonly dir: string;
  /** The config's `sources:` (and anything else but `server:`). */
  readonly config: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}): Promise<SpokeServe> {
  const configPath = join(options.dir, 'spoke.yaml');
  writeFileSync(
    configPath,
    `server:\n  http: { host: 127.0.0.1, port: 0 }\n  postgres: { host: 127.0.0.1, port: 0 }\n${options.config}`,
  );
  const child = spawn(process.execPath, [SPOKE_CLI, 'serve', '--workers', '1', '--config', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`spoke serve did not start:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const check = () => {
      if (!output.includes('Press Ctrl+C')) return;
      clearTimeout(timer);
      ready();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`spoke serve exited with ${code}:\n${output}`));
    });
  });
  const http = /HTTP\s+http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  const pg = /Postgres\s+postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(output);
  if (!http || !pg) {
    child.kill('SIGKILL');
    throw new Error(`spoke serve's banner names no HTTP or Postgres port:\n${output}`);
  }
  return { process: child, httpPort: Number(http[1]), pgPort: Number(pg[1]), output: () => output };
}
