/**
 * `spoke serve` starts the Arrow Flight SQL listener from the config's
 * `server.flight` (or `--flight-port`), prints its address in the banner,
 * and answers the gateway's own Flight SQL client there.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SPOKE_CLI as CLI } from '../../../test/harness/spoke-cli.js';
import { FlightSqlClient } from '../src/flight/index.js';
import { type DemoFixture, demoFixture } from './demo-fixture.js';
import { selfSignedCertificate, sourcesYaml } from './operator-fixture.js';

/** Starts `spoke serve ARGS`; resolves with the banner once it is printed. */
async function serve(args: string[]): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--workers', '1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in time: ${out} ${err}`)), 60_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited early (${code}): ${out} ${err}`));
    });
  });
  return { child, banner };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

describe('spoke serve with Arrow Flight SQL', { timeout: 240_000 }, () => {
  let fixture: DemoFixture;
  let withFlight: string;
  let withoutFlight: string;

  before(async () => {
    fixture = await demoFixture();
    withFlight = join(fixture.root, 'with-flight.yaml');
    await writeFile(
      withFlight,
      `server:\n  http: { host: 127.0.0.1, port: 0 }\n  flight: { host: 127.0.0.1, port: 0 }\n${sourcesYaml(fixture)}`,
    );
    withoutFlight = join(fixture.root, 'without-flight.yaml');
    await writeFile(withoutFlight, `server:\n  http: { host: 127.0.0.1, port: 0 }\n${sourcesYaml(fixture)}`);
  });
  after(() => fixture?.close());

  /** The Flight address in the banner, queried with the gateway's client. */
  async function queryFlight(banner: string): Promise<void> {
    const address = /Flight\s+grpc:\/\/(127\.0\.0\.1:(\d+))/.exec(banner);
    assert.ok(address, banner);
    assert.notEqual(Number(address[2]), 0);
    const client = new FlightSqlClient(address[1]!);
    const table = await client.execute('SELECT count(*) AS n FROM crm.customers');
    assert.equal(Number(table.getChild('n')!.get(0)), 1000);
  }

  it('starts server.flight from the config and prints its address', async () => {
    const { child, banner } = await serve(['--config', withFlight]);
    try {
      await queryFlight(banner);
      assert.match(banner, /HTTP\s+http:\/\/127\.0\.0\.1:\d+/);
      assert.doesNotMatch(banner, /Postgres/);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('--flight-port starts it when the config has no server.flight', async () => {
    const { child, banner } = await serve(['--config', withoutFlight, '--flight-port', '0']);
    try {
      await queryFlight(banner);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('without server.flight or --flight-port there is no Flight listener', async () => {
    const { child, banner } = await serve(['--config', withoutFlight]);
    try {
      assert.doesNotMatch(banner, /Flight/);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('keeps the configured TLS when ports are given on the command line', async () => {
    const { certFile, keyFile } = await selfSignedCertificate(fixture.root);
    const config = join(fixture.root, 'tls.yaml');
    await writeFile(
      config,
      `tls: { cert_file: ${JSON.stringify(certFile)}, key_file: ${JSON.stringify(keyFile)} }\n` +
        `server:\n  http: { host: 127.0.0.1, port: 8 }\n  flight: { host: 127.0.0.1, port: 9 }\n${sourcesYaml(fixture)}`,
    );
    const { child, banner } = await serve(['--config', config, '--http-port', '0', '--flight-port', '0']);
    try {
      assert.match(banner, /HTTP\s+https:\/\/127\.0\.0\.1:\d+/);
      const address = /Flight\s+grpc\+tls:\/\/(127\.0\.0\.1:\d+)/.exec(banner);
      assert.ok(address, banner);
      const client = new FlightSqlClient(address[1]!, { rootCert: await readFile(certFile) });
      const table = await client.execute('SELECT count(*) AS n FROM crm.customers');
      assert.equal(Number(table.getChild('n')!.get(0)), 1000);
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  it('refuses a bad --flight-port', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--config', withFlight, '--flight-port', 'grpc'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    const [code] = (await once(child, 'exit')) as [number];
    assert.notEqual(code, 0);
    assert.match(err, /--flight-port must be a port number from 0 to 65535, got "grpc"/);
  });
});
