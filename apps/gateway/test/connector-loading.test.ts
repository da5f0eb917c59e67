import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ErrorCode, SPECIFICATION_VERSION, SpokeError } from '@spoke/core';
import { installedConnectors } from '../src/config/installed-connectors.js';
import { importConnector } from '../src/config/load-connectors.js';
import { assertDemoConnectorsInstalled, DEMO_CONNECTOR_PACKAGES } from '../src/demo/demo-connectors.js';

describe('the demo without its connectors', () => {
  it('names each missing connector package and the command that installs it', () => {
    const error = (() => {
      try {
        assertDemoConnectorsInstalled((specifier) => specifier !== '@spoke/connector-lance');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(SpokeError.isInstance(error));
    assert.equal(error.code, ErrorCode.INVALID_CONFIG);
    assert.equal(
      error.message,
      'the demo needs @spoke/connector-lance, which is not installed; install it: npm install @spoke/connector-lance',
    );
    assert.throws(
      () => assertDemoConnectorsInstalled(() => false),
      /needs @spoke\/connector-duckdb and @spoke\/connector-lance, which are not installed; install them: npm install @spoke\/connector-duckdb @spoke\/connector-lance/,
    );
  });
  it('passes in the workspace, where both are installed', () => {
    assert.deepEqual(DEMO_CONNECTOR_PACKAGES, ['@spoke/connector-duckdb', '@spoke/connector-lance']);
    assertDemoConnectorsInstalled();
  });
});

describe('connector names and versions', () => {
  /** The INVALID_CONFIG message `promise` rejects with. */
  async function configError(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      assert.ok(SpokeError.isInstance(error), String(error));
      assert.equal(error.code, ErrorCode.INVALID_CONFIG);
      return error.message;
    }
    assert.fail('expected INVALID_CONFIG');
  }

  it('an unknown name lists what was tried and the installed connectors, and suggests the closest', async () => {
    const message = await configError(importConnector('duckdbb', 'crm', '/tmp'));
    assert.match(
      message,
      /^sources\.crm\.connector: no connector package for "duckdbb" \(tried @spoke\/connector-duckdbb, spoke-connector-duckdbb, duckdbb\); /,
    );
    // In the workspace every connector is installed (hoisted into the root node_modules).
    const installed = /installed connectors: ([^;(]*)/
      .exec(message)?.[1]
      ?.split(', ')
      .map((s) => s.trim());
    for (const name of ['@spoke/connector-duckdb', '@spoke/connector-lance', '@spoke/connector-postgres'])
      assert.ok(installed?.includes(name), `${name} missing from ${message}`);
    assert.deepEqual(installed, [...installed!].sort(), 'listed in name order');
    assert.match(
      message,
      /\(did you mean "@spoke\/connector-duckdb"\?\); install it: npm install @spoke\/connector-duckdbb$/,
    );
  });

  it('a mistyped full package name is not turned into @spoke/connector-<full name> alone', async () => {
    const message = await configError(importConnector('spoke-connector-sqlit', 's', '/tmp'));
    assert.match(
      message,
      /\(tried @spoke\/connector-spoke-connector-sqlit, spoke-connector-spoke-connector-sqlit, spoke-connector-sqlit\)/,
    );
  });

  it('a path that does not exist says so', async () => {
    assert.equal(
      await configError(importConnector('./nowhere.mjs', 's', '/tmp')),
      'sources.s.connector: no such file: /tmp/nowhere.mjs',
    );
  });

  it('finds connector packages in every node_modules folder up the tree, by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-installed-'));
    after(() => rm(dir, { recursive: true, force: true }));
    for (const name of [
      'node_modules/@spoke/connector-duckdb',
      'node_modules/@spoke/core',
      'node_modules/spoke-connector-sqlite',
      'node_modules/@acme/spoke-connector-erp',
      'node_modules/yaml',
      'app/node_modules/@spoke/connector-postgres',
    ])
      await mkdir(join(dir, name), { recursive: true });
    const found = installedConnectors(join(dir, 'app', 'lib')).filter(
      (n) => !n.startsWith('@spoke/connector-lance'),
    );
    assert.deepEqual(
      found.filter((n) =>
        [
          '@spoke/connector-duckdb',
          '@spoke/connector-postgres',
          'spoke-connector-sqlite',
          '@acme/spoke-connector-erp',
        ].includes(n),
      ),
      [
        '@acme/spoke-connector-erp',
        '@spoke/connector-duckdb',
        '@spoke/connector-postgres',
        'spoke-connector-sqlite',
      ],
    );
    assert.ok(!found.includes('@spoke/core') && !found.includes('yaml'));
  });

  it('refuses a connector built for another specificationVersion, naming both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-spec-'));
    after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'future.mjs'),
      `export const connector = { specificationVersion: 'v2', name: 'future', async create() { throw new Error('not reached'); } };`,
    );
    await writeFile(join(dir, 'unversioned.mjs'), `export default { name: 'old', async create() {} };`);
    const future = await configError(importConnector('./future.mjs', 'f', dir));
    assert.match(
      future,
      /^sources\.f\.connector: file:.*future\.mjs \(connector "future"\) implements connector specification v2, but this gateway \(@spoke\/gateway \d+\.\d+\.\d+\) speaks specification v1; install a version of the connector built for v1/,
    );
    assert.equal(SPECIFICATION_VERSION, 'v1');
    const old = await configError(importConnector('./unversioned.mjs', 'o', dir));
    assert.match(
      old,
      /\(connector "old"\) declares no specificationVersion, but this gateway .* speaks specification v1/,
    );
  });
});
