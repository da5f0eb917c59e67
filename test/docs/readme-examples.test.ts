/**
 * The README's examples, run: a gateway serving the demo (`spoke serve
 * --demo`, as `npm start` does, on free ports), then every command the root
 * README shows in a ```console block — psql, curl, `npx spoke` — run through
 * bash as written (ports substituted), its output compared with the output
 * shown, line for line. Then the gateway README's shown examples. A command
 * that cannot run here (one that needs a language model) is listed in
 * NOT_RUN with the reason, and the list is checked to stay exact.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ShownCommand, shownCommands } from './console-blocks.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'apps/gateway/src/cli.ts');
const TSX = import.meta.resolve('tsx');

/** Commands shown but not run here, by a pattern over the command, with why. */
const NOT_RUN: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  { pattern: /spoke ask --config spoke\.yaml/, reason: 'needs a language model endpoint (nl: in a config)' },
  { pattern: /\/v1\/ask/, reason: 'needs a language model endpoint (nl: in a config)' },
];

describe('README examples', { timeout: 600_000 }, () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let http = '';
  let pgPort = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spoke-readme-'));
    server = spawn(
      process.execPath,
      [
        '--import',
        TSX,
        CLI,
        'serve',
        '--demo',
        '--demo-dir',
        join(dir, 'demo'),
        '--http-port',
        '0',
        '--postgres-port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let banner = '';
    let errors = '';
    server.stderr!.on('data', (c: Buffer) => {
      errors += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the demo did not start in 300 s:\n${banner}\n${errors}`)),
        300_000,
      );
      server!.on('exit', (code) => reject(new Error(`spoke serve exited with ${code}:\n${errors}`)));
      server!.stdout!.on('data', (c: Buffer) => {
        banner += c.toString();
        const h = /HTTP {6}(http:\/\/\S+)/.exec(banner);
        const p = /Postgres {2}postgresql:\/\/127\.0\.0\.1:(\d+)/.exec(banner);
        if (h && p) {
          http = h[1]!;
          pgPort = Number(p[1]);
          clearTimeout(timer);
          resolve();
        }
      });
    });
  });

  after(async () => {
    server?.kill('SIGTERM');
    if (server && server.exitCode === null) await new Promise((r) => server!.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  });

  /** The command as run here: this server's ports, the CLI from the source, the demo in the temp folder. */
  const localize = (command: string): string =>
    command
      .replaceAll('-p 5433', `-p ${pgPort}`)
      .replaceAll('http://127.0.0.1:8080', http)
      .replaceAll('localhost:8080', http.replace('http://', ''))
      .replace(/^npx spoke /, `node --import ${TSX} ${CLI} `)
      .replace(/ --demo(?= )/, ` --demo --demo-dir ${join(dir, 'demo')}`);

  async function check(file: string, shown: readonly ShownCommand[]): Promise<number> {
    let ran = 0;
    const wrong: string[] = [];
    for (const { command, output, line } of shown) {
      if (NOT_RUN.some((n) => n.pattern.test(command))) continue;
      const { stdout } = await run('bash', ['-c', localize(command)], {
        env: { ...process.env, PSQLRC: '/dev/null', PGCONNECT_TIMEOUT: '10' },
        maxBuffer: 16 * 1024 * 1024,
        timeout: 120_000,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${file}:${line}: \`${command}\` failed: ${error.message}\n${error.stderr ?? ''}`);
      });
      // Compared with runs of blanks and of dashes as one (psql pads to the widest line, and a
      // README's editor strips trailing blanks) and EXPLAIN's cost-model times as `N ms`: they
      // come from link profiles learned from every read, so they differ by machine and run.
      const lines = (text: string) =>
        text
          .replace(/\n+$/, '')
          .split('\n')
          .map((l) =>
            l
              .replace(/\d+(\.\d+)? ms\b/g, 'N ms')
              .replace(/-{2,}/g, '--')
              .replace(/\s+/g, ' ')
              .trim(),
          )
          .join('\n');
      if (lines(stdout) !== lines(output))
        wrong.push(
          `${file}:${line}: \`${command.split('\n')[0]}…\` printed\n${lines(stdout)}\ninstead of\n${lines(output)}`,
        );
      ran++;
    }
    // Every difference at once, so one README edit fixes them all.
    assert.deepEqual(wrong, [], `outputs differ from the README:\n\n${wrong.join('\n\n')}`);
    return ran;
  }

  test('the root README: every shown command prints what is shown', async (t) => {
    const shown = await shownCommands(join(REPO, 'README.md'));
    const skipped = shown.filter((s) => NOT_RUN.some((n) => n.pattern.test(s.command)));
    // Each NOT_RUN entry still matches something, so the list cannot outlive the README.
    for (const n of NOT_RUN)
      assert.ok(
        shown.some((s) => n.pattern.test(s.command)),
        `${n.pattern} matches no command`,
      );
    const ran = await check('README.md', shown);
    assert.ok(ran >= 8, `only ${ran} commands ran`);
    t.diagnostic(
      `${ran} commands run and matched; not run: ${skipped.map((s) => `line ${s.line} (${NOT_RUN.find((n) => n.pattern.test(s.command))!.reason})`).join(', ')}`,
    );
  });

  test("the gateway README's shown examples (ingestion into the demo's Lance table)", async () => {
    const shown = await shownCommands(join(REPO, 'apps/gateway/README.md'));
    assert.ok(shown.length >= 1, 'the gateway README shows no command');
    await check('apps/gateway/README.md', shown);
  });
});
