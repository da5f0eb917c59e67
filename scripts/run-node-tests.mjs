#!/usr/bin/env node
/**
 * Runs a package's test files with node's test runner (through tsx) in two
 * groups: the files that only check behaviour, two at a time (or
 * `--concurrency N`), then the files that time things (timeouts, stalls,
 * throttled links, admission) one at a time, so a neighbour's CPU cannot
 * make them fail.
 *
 *   node ../../scripts/run-node-tests.mjs [--concurrency N] --serial test/limits.test.ts … -- test/*.test.ts
 *
 * `--concurrency` sets how many files of the parallel group run at once
 * (default 2, one per core here): more than the cores pays only where files
 * spend much of their time waiting on child processes and servers.
 * Every file after `--` runs once: in the serial group when it is named after
 * `--serial` (or lies under a folder named there, written with a trailing
 * `/`), else in the parallel group. Exits non-zero when either group failed;
 * both always run, so one log shows every failure.
 */
import { spawnSync } from 'node:child_process';

let args = process.argv.slice(2);
let concurrency = 2;
if (args[0] === '--concurrency') {
  concurrency = Number(args[1]);
  args = args.slice(2);
}
const split = args.indexOf('--');
if (split < 0 || args[0] !== '--serial' || !(Number.isInteger(concurrency) && concurrency > 0)) {
  process.stderr.write(
    'usage: run-node-tests.mjs [--concurrency N] --serial <file|folder/>… -- <test files>…\n',
  );
  process.exit(2);
}
const serialNames = args.slice(1, split);
const files = args.slice(split + 1);
const isSerial = (file) =>
  serialNames.some((name) => (name.endsWith('/') ? file.startsWith(name) : file === name));
const parallel = files.filter((f) => !isSerial(f));
const serial = files.filter(isSerial);
for (const name of serialNames) {
  if (!files.some((f) => (name.endsWith('/') ? f.startsWith(name) : f === name))) {
    process.stderr.write(`run-node-tests: ${name} (after --serial) matches no test file\n`);
    process.exit(2);
  }
}

/** Runs one group; returns its exit status (0 for an empty group). */
function run(group, concurrency) {
  if (group.length === 0) return 0;
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...group],
    { stdio: 'inherit' },
  );
  return result.status ?? 1;
}

const parallelStatus = run(parallel, concurrency);
const serialStatus = run(serial, 1);
process.exit(parallelStatus || serialStatus);
