/**
 * What `spoke <command> --help` says about the demo matches the demo: the
 * number of sources and each source's name, as `demoConfig` defines them
 * (every --help once said "two sources, crm and lake" when the demo had three).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { demoConfig } from '../../apps/gateway/src/demo/demo-config.js';
import { SPOKE_CLI } from '../harness/spoke-cli.js';

const run = promisify(execFile);
const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];

test("every command's --help describes the demo's sources as the demo has them", async () => {
  const sources = Object.keys(
    demoConfig({
      dir: '/demo',
      crmFile: 'crm.duckdb',
      lakeFiles: { sales: 's', documents: 'd' },
      lanceDir: 'docs',
    }).sources,
  );
  let checked = 0;
  for (const command of ['serve', 'query', 'explain', 'cypher', 'ask']) {
    const { stdout } = await run(process.execPath, [SPOKE_CLI, command, '--help']);
    const text = stdout.replace(/\s+/g, ' ');
    const said = /served as (\w+) sources?/.exec(text);
    if (!said) continue;
    checked++;
    assert.equal(said[1], NUMBERS[sources.length], `spoke ${command} --help: "${said[0]}"`);
    for (const name of sources)
      assert.match(text, new RegExp(`\\b${name}\\b`), `spoke ${command} --help lacks ${name}`);
  }
  assert.ok(checked >= 3, `only ${checked} commands describe the demo`);
});
