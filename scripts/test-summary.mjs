#!/usr/bin/env node
/**
 * `npm test`: runs `turbo run test` with the arguments given, passes its
 * output through unchanged, and ends with one line over all packages —
 * test files' pass/fail/skip counts summed from each `node --test` run's
 * TAP summary (`# pass N`, also replayed for turbo cache hits), the
 * packages that failed, and the time. Exits with turbo's status. The
 * builds run first, two at a time; the tests then find them cached.
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
// turbo colours its prefixes when it thinks it writes to a terminal.
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function take(line) {
  // turbo prefixes each line with `package:task: `.
  const m = /^(\S+?):test: (.*)$/.exec(line.replace(ANSI_COLOUR, ''));
  if (!m) return;
  packages.add(m[1]);
  const count = /^# (pass|fail|skipped|cancelled|todo) (\d+)$/.exec(m[2].trim());
  if (!count) return;
  totals[count[1]] += Number(count[2]);
  if ((count[1] === 'fail' || count[1] === 'cancelled') && Number(count[2]) > 0) failedPackages.add(m[1]);
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
  const failed = failedPackages.size ? `; failed in ${[...failedPackages].sort().join(', ')}` : '';
  process.stdout.write(
    `\nnpm test: ${code === 0 ? 'ok' : 'FAILED'} — ${packages.size} package${packages.size === 1 ? '' : 's'}, ${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped${totals.cancelled ? `, ${totals.cancelled} cancelled` : ''}${failed} (${time})\n`,
  );
  process.exit(code ?? 1);
});
