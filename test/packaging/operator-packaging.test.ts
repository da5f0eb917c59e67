/**
 * The operator packaging of docs/operators-guide.md ("Running it as a
 * service"), run as far as this machine allows (no Docker daemon, no
 * systemd as PID 1): the Dockerfile's install steps outside Docker, the
 * image's ENTRYPOINT and HEALTHCHECK against that install, static checks of
 * the Dockerfile, and `systemd-analyze verify` of the guide's unit.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';
import { withoutNpmConfig } from './tarballs.js';
import { ROOT } from './workspace-packages.js';

const run = promisify(execFile);
const SCRIPT = join(ROOT, 'scripts', 'install-from-packs.mjs');

/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
async function dockerfileStages(): Promise<{ name: string; instructions: string[] }[]> {
  const text = (await readFile(join(ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const stages: { name: string; instructions: string[] }[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(trimmed);
    if (from) stages.push({ name: from[1] ?? `stage${stages.length}`, instructions: [] });
    else stages.at(-1)?.instructions.push(trimmed);
  }
  return stages;
}

/** The value of the last `KEY …` instruction of a stage, or undefined. */
const instruction = (instructions: readonly string[], key: string) =>
  instructions
    .filter((i) => i.toUpperCase().startsWith(`${key} `))
    .at(-1)
    ?.slice(key.length + 1)
    .trim();

describe('operator packaging (Dockerfile, systemd unit)', { timeout: 600_000 }, () => {
  let work: string;
  let install: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'spoke-operator-'));
    install = join(work, 'opt-spoke');
    // The Dockerfile's build and install stages, minus Docker.
    await run(process.execPath, [SCRIPT, 'pack', join(work, 'packs')], { cwd: ROOT, maxBuffer: 1 << 26 });
    await run(
      process.execPath,
      [
        SCRIPT,
        'install',
        join(work, 'packs'),
        install,
        '@spoke/gateway',
        '@spoke/console',
        '@spoke/connector-duckdb',
      ],
      { cwd: work, env: withoutNpmConfig(process.env), maxBuffer: 1 << 26, timeout: 300_000 },
    );
  });
  after(() => rm(work, { recursive: true, force: true }));

  test('the Dockerfile: several stages, the last one unprivileged, with a health check, naming paths that exist', async () => {
    const stages = await dockerfileStages();
    assert.ok(stages.length >= 2, 'multi-stage');
    const last = stages.at(-1)!;
    const user = instruction(last.instructions, 'USER');
    assert.ok(user && !['root', '0'].includes(user), `the runtime stage runs as ${user ?? 'root'}`);
    assert.match(instruction(last.instructions, 'HEALTHCHECK') ?? '', /CMD .*\/healthz/);
    const entrypoint = JSON.parse(instruction(last.instructions, 'ENTRYPOINT')!) as string[];
    assert.equal(entrypoint[0], 'node');
    assert.ok(entrypoint[1]!.startsWith('/opt/spoke/'));
    assert.ok(
      existsSync(join(install, entrypoint[1]!.slice('/opt/spoke/'.length))),
      `${entrypoint[1]} is in the install`,
    );
    // The runtime stage copies only the install: no source tree, no build tools.
    assert.deepEqual(
      last.instructions.filter((i) => /^COPY /i.test(i)),
      ['COPY --from=install /opt/spoke /opt/spoke'],
    );
    const linked = await run('find', [
      join(install, 'node_modules', '@spoke'),
      '-maxdepth',
      '1',
      '-type',
      'l',
    ]);
    assert.equal(linked.stdout.trim(), '', 'no @spoke package is a workspace link');
  });

  test('the image command line serves a config, the health check tells up from down, SIGTERM stops it', async () => {
    const db = await DuckDBInstance.create(join(work, 'crm.duckdb'));
    const connection = await db.connect();
    await connection.run(
      "CREATE TABLE customers AS SELECT * FROM (VALUES (1, 'ada'), (2, 'bob')) t(id, name)",
    );
    connection.closeSync();
    db.closeSync();
    await writeFile(join(work, 'spoke.yaml'), 'sources:\n  crm: { connector: duckdb, path: crm.duckdb }\n');
    const stages = await dockerfileStages();
    const last = stages.at(-1)!;
    const entrypoint = JSON.parse(instruction(last.instructions, 'ENTRYPOINT')!) as string[];
    const cmd = JSON.parse(instruction(last.instructions, 'CMD')!) as string[];
    const args = [
      join(install, entrypoint[1]!.slice('/opt/spoke/'.length)),
      ...cmd.map((a) => (a === '/etc/spoke/spoke.yaml' ? join(work, 'spoke.yaml') : a)),
      '--http-port',
      '0',
      '--postgres-port',
      '0',
    ];
    const server: ChildProcess = spawn(process.execPath, args, {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let banner = '';
      const url = await new Promise<string>((resolve, reject) => {
        server.once('exit', (code) => reject(new Error(`spoke exited with ${code}`)));
        server.stdout!.on('data', (c: Buffer) => {
          banner += c.toString();
          const m = /HTTP {6}(http:\/\/\S+)/.exec(banner);
          if (m) resolve(m[1]!);
        });
      });
      const answer = await fetch(`${url}/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT name FROM crm.customers ORDER BY id' }),
      });
      assert.deepEqual(((await answer.json()) as { rows: unknown[] }).rows, [['ada'], ['bob']]);

      const healthcheck = JSON.parse(
        instruction(last.instructions, 'HEALTHCHECK')!.replace(/^.*?CMD\s+/, ''),
      ) as string[];
      const port = new URL(url).port;
      const probe = () =>
        run(healthcheck[0] === 'node' ? process.execPath : healthcheck[0]!, healthcheck.slice(1), {
          env: { ...process.env, SPOKE_HTTP_PORT: port },
        }).then(
          () => 0,
          (e: { code?: number }) => e.code ?? 1,
        );
      assert.equal(await probe(), 0, 'healthy while serving');

      const stopped = Date.now();
      server.kill('SIGTERM');
      const [code] = (await once(server, 'exit')) as [number | null];
      assert.ok(Date.now() - stopped < 30_000, 'stopped within the unit’s TimeoutStopSec');
      assert.equal(code, 0);
      assert.equal(await probe(), 1, 'unhealthy once stopped');
    } finally {
      if (server.exitCode === null) server.kill('SIGKILL');
    }
  });

  test("systemd-analyze verify accepts the guide's unit (ExecStart pointed at this install)", async (t) => {
    const which = await run('sh', ['-c', 'command -v systemd-analyze']).catch(() => undefined);
    if (!which) {
      t.skip('systemd-analyze is not installed here');
      return;
    }
    const guide = await readFile(join(ROOT, 'docs', 'operators-guide.md'), 'utf8');
    const unit = /```ini\n([\s\S]*?)```/.exec(guide)?.[1];
    assert.ok(unit, 'the guide has a unit file');
    const local = unit
      .replaceAll('/opt/spoke', install)
      .replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `);
    const file = join(work, 'spoke.service');
    await writeFile(file, local);
    const { stdout, stderr } = await run('systemd-analyze', ['verify', file]);
    // verify exits 0 on unknown keys and bad values too, and only says so on stderr.
    assert.equal(`${stdout}${stderr}`.trim(), '');
  });
});
