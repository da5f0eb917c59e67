#!/usr/bin/env node
/**
 * `npm test`: runs `turbo run test` with the arguments given, passes its
 * output through unchanged, and ends with one line over all packages —
 * test files' pass/fail/skip counts summed from each `node --test` run's
 * TAP summary (`# pass N`, also replayed for turbo cache hits), the
 * packages that failed, the failing tests with the first lines of their
 * errors (so the end of a long log names them), and the time. Exits with
 * turbo's status. The builds run first, two at a time; the tests then find
 * them cached.
 */
import { spawn, spawnSync } from 'node:child_process';

const started = Date.now();
// Builds first, two at a time: tsc is CPU-bound and the packages' builds are independent where the graph allows;
// the tests then run one package at a time (they start servers and time things), finding every build cached.
const build = spawnSync('npx', ['turbo', 'run', 'build', '--concurrency=2', '--output-logs=errors-only'], {
  stdio: 'inherit',
});
if (build.status !== 0) {
  process.stdout.write('\nnpm test: FAILED — the build failed\n');
  process.exit(build.status ?? 1);
}
const child = spawn('npx', ['turbo', 'run', 'test', ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'inherit'],
});
const totals = { pass: 0, fail: 0, skipped: 0, cancelled: 0, todo: 0 };
const packages = new Set();
const failedPackages = new Set();
let pending = '';
/** Failing tests, each with the first lines of its TAP diagnostic block. */
const failures = [];
/** The failure whose diagnostic block is being read, if any. */
let reading = null;
const FAILURE_LINES = 14;
// turbo colours its prefixes when it thinks it writes to a terminal.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function take(line) {
  // turbo prefixes each line with `package:task: `.
  const m = /^(\S+?):test: (.*)$/.exec(line.replace(ANSI_COLOUR, ''));
  if (!m) return;
  packages.add(m[1]);
  readFailure(m[1], m[2]);
  const count = /^# (pass|fail|skipped|cancelled|todo) (\d+)$/.exec(m[2].trim());
  if (!count) return;
  totals[count[1]] += Number(count[2]);
  if ((count[1] === 'fail' || count[1] === 'cancelled') && Number(count[2]) > 0) failedPackages.add(m[1]);
}

/**
 * Keeps each `not ok` test with its error, leaving out suites that failed only because a subtest
 * did (their subtest is listed itself) and the stack (the error's location is kept).
 */
function readFailure(pkg, text) {
  const failed = /^(\s*)not ok \d+ - (.*)$/.exec(text);
  if (failed) {
    reading = { pkg, name: failed[2], indent: failed[1].length, lines: [], inStack: false, suite: false };
    failures.push(reading);
    return;
  }
  if (!reading) return;
  const trimmed = text.trim();
  const indent = text.length - text.trimStart().length;
  if (trimmed === '...' && indent <= reading.indent + 2) {
    reading = null;
    return;
  }
  if (/^failureType: '(subtestsFailed)'/.test(trimmed)) reading.suite = true;
  if (/^stack: /.test(trimmed)) reading.inStack = true;
  else if (/^[a-zA-Z]+: /.test(trimmed) && indent <= reading.indent + 2) reading.inStack = false;
  if (reading.inStack || /^duration_ms: /.test(trimmed) || trimmed === '---') return;
  if (reading.lines.length < FAILURE_LINES) reading.lines.push(text.slice(Math.min(indent, reading.indent + 2)));
}

child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) take(line);
});

child.on('close', (code) => {
  if (pending) take(pending);
  const seconds = Math.round((Date.now() - started) / 1000);
  const time = `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  const failing = failures.filter((f) => !f.suite);
  if (failing.length) {
    process.stdout.write(`\nFailing tests (${failing.length}):\n`);
    for (const f of failing) {
      process.stdout.write(`\n✖ ${f.pkg}: ${f.name}\n${f.lines.map((l) => `    ${l}`).join('\n')}\n`);
    }
  }
  const failed = failedPackages.size ? `; failed in ${[...failedPackages].sort().join(', ')}` : '';
  process.stdout.write(
    `\nnpm test: ${code === 0 ? 'ok' : 'FAILED'} — ${packages.size} package${packages.size === 1 ? '' : 's'}, ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped${totals.cancelled ? `, ${totals.cancelled} cancelled` : ''}${failed} (${time})\n`,
  );
  process.exit(code ?? 1);
});
