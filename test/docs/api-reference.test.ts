/**
 * The TypeDoc API reference of @spoke/core and @spoke/sdk (`npm run
 * docs:api`, written to docs/api/) builds without a warning — every
 * `{@link}` in their TSDoc resolves, every type an export mentions is
 * exported — and documents the contract's entry points.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from '../packaging/workspace-packages.js';

const run = promisify(execFile);

test('typedoc builds the @spoke/core and @spoke/sdk reference with no warning', {
  timeout: 120_000,
}, async () => {
  const out = await mkdtemp(join(tmpdir(), 'spoke-api-'));
  try {
    // typedoc.json sets treatWarningsAsErrors: a warning fails the build.
    await run('npx', ['typedoc', '--out', out], { cwd: ROOT, maxBuffer: 1 << 24, timeout: 110_000 }).catch(
      (error: { stdout?: string; stderr?: string }) => {
        throw new Error(`typedoc failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
    const pages = [
      ...(await readdir(join(out, 'classes'))),
      ...(await readdir(join(out, 'interfaces'))),
      ...(await readdir(join(out, 'functions'))),
    ];
    for (const symbol of [
      '_spoke_core.SpokeConnector',
      '_spoke_core.SpokeTable',
      '_spoke_core.ConnectorDocs',
      '_spoke_core.SpokeError',
      '_spoke_sdk.SqlSourceConnector',
      '_spoke_sdk.ExpressionDialect',
      '_spoke_sdk.AnsiDialect',
      '_spoke_sdk.defineConnector',
    ])
      assert.ok(pages.includes(`${symbol}.html`), `no page for ${symbol}`);
    assert.ok(existsSync(join(out, 'index.html')));
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
