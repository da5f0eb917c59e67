import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, SpokeError } from '@spoke/core';
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
