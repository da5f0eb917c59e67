import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SpokeError } from '@spoke/core';
import type { GatewayConfig } from '../src/config/gateway-config.js';
import { loadConfig, parseConfig } from '../src/config/load-config.js';
import { connectorSpecifiers, importConnector, loadConnectors } from '../src/config/load-connectors.js';
import { createGatewayEngine } from '../src/create-gateway-engine.js';
import { readCacheOf } from '../src/service/engine-caches.js';
import { createGatewayServices } from '../src/service/gateway-services.js';
import { demoFixture } from './demo-fixture.js';

/** Asserts `fn` throws an INVALID_CONFIG SpokeError whose message matches `pattern`. */
async function rejectsConfig(fn: () => unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (error: unknown) => {
      assert.ok(SpokeError.isInstance(error), `expected a SpokeError, got ${String(error)}`);
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, pattern);
      return true;
    },
  );
}

const parse = (yaml: string, env: Record<string, string> = {}) =>
  parseConfig(yaml, '/base', 'spoke.yaml', { env });

describe('config', () => {
  it('takes a source link profile for the optimizer, apart from the connector options', () => {
    const config = parse(`
sources:
  far: { connector: duckdb, path: far.duckdb, link: { latencyMs: 20, mbps: 80 } }
`);
    assert.deepEqual(config.sources.far, {
      connector: 'duckdb',
      options: { connector: 'duckdb', path: 'far.duckdb' },
      link: { latencyMs: 20, mbps: 80 },
    });
    assert.throws(
      () => parse('sources:\n  far: { connector: duckdb, link: { latencyMs: -1 } }\n'),
      /sources\.far\.link\.latencyMs: must be a positive number, got -1/,
    );
    assert.throws(
      () => parse('sources:\n  far: { connector: duckdb, link: { rtt: 1 } }\n'),
      /sources\.far\.link/,
    );
  });
  it('parses a full config, with defaults and options kept for the connector', () => {
    const config = parse(`
server:
  http: { host: 0.0.0.0, port: 9000 }
  postgres: { port: 0 }
duckdb: { memoryLimit: 1GB, threads: 2, tempDirectory: tmp }
sources:
  crm: { connector: duckdb, path: crm.duckdb }
`);
    assert.deepEqual(config.server, {
      http: { host: '0.0.0.0', port: 9000 },
      postgres: { host: '127.0.0.1', port: 0 },
    });
    assert.deepEqual(config.duckdb, { memoryLimit: '1GB', threads: 2, tempDirectory: 'tmp' });
    assert.deepEqual(config.sources.crm, {
      connector: 'duckdb',
      options: { connector: 'duckdb', path: 'crm.duckdb' },
    });
    assert.equal(config.baseDir, '/base');
  });

  it('starts both listeners on the default ports when there is no server section', () => {
    const config = parse('sources:\n  a: { connector: duckdb }\n');
    assert.deepEqual(config.server, {
      http: { host: '127.0.0.1', port: 8080 },
      postgres: { host: '127.0.0.1', port: 5433 },
    });
  });

  it('names the bad key', async () => {
    await rejectsConfig(
      () => parse('server:\n  http: { port: 99999 }\nsources:\n  a: { connector: duckdb }\n'),
      /^server\.http\.port: expected an integer from 0 to 65535, got 99999/,
    );
    await rejectsConfig(
      () => parse('server:\n  http: { port: abc }\nsources:\n  a: { connector: duckdb }\n'),
      /^server\.http\.port: .*"abc"/,
    );
    await rejectsConfig(
      () => parse('server:\n  htp: { port: 1 }\nsources:\n  a: { connector: duckdb }\n'),
      /^server\.htp: unknown key \(did you mean "http"\?\)/,
    );
    await rejectsConfig(
      () => parse('sourcs:\n  a: { connector: duckdb }\n'),
      /^sourcs: unknown key \(did you mean "sources"\?\)/,
    );
    await rejectsConfig(() => parse('sources:\n  a: { path: x }\n'), /^sources\.a\.connector: is required/);
    await rejectsConfig(
      () => parse('sources:\n  a: { connector: 42 }\n'),
      /^sources\.a\.connector: expected a non-empty string, got 42/,
    );
    await rejectsConfig(
      () => parse('sources:\n  1a: { connector: duckdb }\n'),
      /^sources\.1a: a source name must be an identifier/,
    );
    await rejectsConfig(
      () => parse('sources:\n  a: { connector: duckdb }\n  A: { connector: duckdb }\n'),
      /^sources\.A: clashes with sources\.a/,
    );
    await rejectsConfig(() => parse('sources: {}\n'), /^sources: is empty/);
    await rejectsConfig(() => parse('server: {}\n'), /^sources: is required/);
    await rejectsConfig(
      () => parse('duckdb: { threads: 0 }\nsources:\n  a: { connector: duckdb }\n'),
      /^duckdb\.threads: expected an integer from 1/,
    );
    await rejectsConfig(() => parse('sources:\n  a: [1, 2]\n'), /^sources\.a: expected a map, got a list/);
  });

  it('reports YAML syntax errors with the line', async () => {
    await rejectsConfig(
      () => parse('sources:\n  a: { connector: duckdb\n'),
      /^spoke\.yaml:\d+:\d+: invalid YAML: /,
    );
    await rejectsConfig(
      () => parse('sources:\n  a: { connector: duckdb }\n  a: { connector: duckdb }\n'),
      /^spoke\.yaml:3:\d+: invalid YAML: .*unique/i,
    );
  });

  it('interpolates $ENV references, with defaults and $$ escapes, after parsing', () => {
    const config = parse(
      `
server:
  http: { port: "\${HTTP_PORT}" }
sources:
  pg: { connector: postgres, password: "\${PG_PASSWORD}", url: "postgres://\${PG_HOST:-localhost}/db", note: "costs $$5", list: ["\${PG_HOST:-x}"] }
`,
      { HTTP_PORT: '8181', PG_PASSWORD: 'se: cret\n{}' },
    );
    assert.equal(config.server.http?.port, 8181);
    assert.equal(config.sources.pg?.options.password, 'se: cret\n{}');
    assert.equal(config.sources.pg?.options.url, 'postgres://localhost/db');
    assert.equal(config.sources.pg?.options.note, 'costs $5');
    assert.deepEqual(config.sources.pg?.options.list, ['x']);
  });

  it('names the missing environment variable and the key', async () => {
    await rejectsConfig(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} reference, as a config file holds it
      () => parse('sources:\n  pg: { connector: postgres, password: "${SPOKE_TEST_NOT_SET}" }\n'),
      /^sources\.pg\.password: environment variable SPOKE_TEST_NOT_SET is not set/,
    );
  });

  it('reads files relative to nothing but themselves', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-config-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'spoke.yaml');
    await writeFile(file, 'sources:\n  a: { connector: duckdb, path: x.duckdb }\n');
    const config = await loadConfig(file, { env: {} });
    assert.equal(config.baseDir, dir);
    await rejectsConfig(
      () => loadConfig(join(dir, 'missing.yaml')),
      /cannot read config .*missing\.yaml: file not found/,
    );
  });
});

describe('duckdb.readCache', () => {
  const withDuckdb = (duckdb: string, env: Record<string, string> = {}) =>
    parse(`duckdb: ${duckdb}\nsources:\n  a: { connector: duckdb }\n`, env);

  it('takes false, true, or sizes in bytes or with units', () => {
    assert.equal(parse('sources:\n  a: { connector: duckdb }\n').duckdb, undefined);
    assert.deepEqual(withDuckdb('{ readCache: false }').duckdb, { readCache: false });
    assert.deepEqual(withDuckdb('{ readCache: "${RC}" }', { RC: 'false' }).duckdb, { readCache: false });
    assert.deepEqual(withDuckdb('{ readCache: true }').duckdb, { readCache: {} });
    assert.deepEqual(withDuckdb('{ readCache: { maxBytes: 1048576, maxEntryBytes: 64KB } }').duckdb, {
      readCache: { maxBytes: 1048576, maxEntryBytes: 65536 },
    });
    assert.deepEqual(withDuckdb('{ readCache: { maxBytes: 256MB }, threads: 2 }').duckdb, {
      threads: 2,
      readCache: { maxBytes: 256 * 1024 * 1024 },
    });
    assert.deepEqual(withDuckdb('{ readCache: { maxEntryBytes: "${E}" } }', { E: '1MB' }).duckdb, {
      readCache: { maxEntryBytes: 1024 * 1024 },
    });
    // Off with a per-query memory limit is consistent: no complaint.
    assert.deepEqual(withDuckdb('{ queryMemoryLimit: 512MB, readCache: false }').duckdb, {
      queryMemoryLimit: '512MB',
      readCache: false,
    });
  });

  it('names what is wrong', async () => {
    await rejectsConfig(
      () => withDuckdb('{ readCache: 5 }'),
      /^duckdb\.readCache: expected false, true or a map \{ maxBytes, maxEntryBytes \}, got 5$/,
    );
    await rejectsConfig(
      () => withDuckdb('{ readCache: [1] }'),
      /^duckdb\.readCache: expected false, true or a map .*, got a list$/,
    );
    await rejectsConfig(
      () => withDuckdb('{ readCache: { maxBytse: 1 } }'),
      /^duckdb\.readCache\.maxBytse: unknown key \(did you mean "maxBytes"\?\); expected one of maxBytes, maxEntryBytes$/,
    );
    await rejectsConfig(
      () => withDuckdb('{ readCach: false }'),
      /^duckdb\.readCach: unknown key \(did you mean "readCache"\?\)/,
    );
    for (const bad of ['0', '-1', 'lots', '1.5', '12XB', '[1]'])
      await rejectsConfig(
        () => withDuckdb(`{ readCache: { maxBytes: ${bad} } }`),
        /^duckdb\.readCache\.maxBytes: expected a positive size such as 1048576, 64KB, 100MB or 2GB, got /,
      );
    await rejectsConfig(
      () => withDuckdb('{ readCache: { maxEntryBytes: 0 } }'),
      /^duckdb\.readCache\.maxEntryBytes: expected a positive size/,
    );
    await rejectsConfig(
      () => withDuckdb('{ readCache: { maxBytes: 1MB, maxEntryBytes: 2MB } }'),
      /^duckdb\.readCache\.maxEntryBytes: must not be larger than maxBytes \(2097152 > 1048576 bytes\)/,
    );
    await rejectsConfig(
      () => withDuckdb('{ queryMemoryLimit: 512MB, readCache: { maxBytes: 1MB } }'),
      /^duckdb\.readCache: is not used with duckdb\.queryMemoryLimit/,
    );
  });

  it("reaches the engine, and /metrics shows the cache's counters", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-read-cache-config-'));
    after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'empty-connector.mjs'),
      `export const connector = { specificationVersion: 'v1', name: 'empty',
         async create() {
           return { specificationVersion: 'v1',
             catalog: { listSchemas: async () => [], getTable: async () => undefined, listTables: async () => [] },
             async close() {} };
         } };
       export default connector;`,
    );
    const engineFor = async (duckdb: string) => {
      const config = parseConfig(
        `${duckdb ? `duckdb: ${duckdb}\n` : ''}sources:\n  a: { connector: ./empty-connector.mjs }\n`,
        dir,
        undefined,
        { env: {} },
      );
      const engine = await createGatewayEngine(config);
      after(() => engine.close());
      return { engine, metrics: () => createGatewayServices(engine, config).service.metrics.render() };
    };
    const sized = await engineFor('{ readCache: { maxBytes: 1MB, maxEntryBytes: 100KB } }');
    assert.equal(readCacheOf(sized.engine)?.maxBytes, 1024 * 1024);
    assert.equal(readCacheOf(sized.engine)?.maxEntryBytes, 100 * 1024);
    const text = sized.metrics();
    assert.match(text, /^# TYPE spoke_read_cache gauge$/m);
    for (const name of ['hits', 'misses', 'evictions', 'entries', 'bytes'])
      assert.match(text, new RegExp(`^spoke_read_cache\\{name="${name}"\\} 0$`, 'm'));

    const byDefault = await engineFor('');
    assert.equal(readCacheOf(byDefault.engine)?.maxBytes, 64 * 1024 * 1024);
    for (const off of ['{ readCache: false }', '{ queryMemoryLimit: 256MB }']) {
      const { engine, metrics } = await engineFor(off);
      assert.equal(readCacheOf(engine), undefined, off);
      assert.doesNotMatch(metrics(), /^spoke_read_cache\{/m, off);
    }
  });
});

describe('duckdb.inMemoryResidual', () => {
  const withDuckdb = (duckdb: string, env: Record<string, string> = {}) =>
    parse(`duckdb: ${duckdb}\nsources:\n  a: { connector: duckdb }\n`, env);

  it('takes a boolean, and names what is wrong', async () => {
    assert.deepEqual(withDuckdb('{ inMemoryResidual: false }').duckdb, { inMemoryResidual: false });
    assert.deepEqual(withDuckdb('{ inMemoryResidual: "${M}" }', { M: 'true' }).duckdb, {
      inMemoryResidual: true,
    });
    await rejectsConfig(() => withDuckdb('{ inMemoryResidual: 3 }'), /^duckdb\.inMemoryResidual: expected /);
    await rejectsConfig(
      () => withDuckdb('{ inMemoryResiduals: false }'),
      /^duckdb\.inMemoryResiduals: unknown key \(did you mean "inMemoryResidual"\?\)/,
    );
  });

  it('reaches the engine: off, a small join runs in DuckDB; by default, in memory', async () => {
    const fixture = await demoFixture();
    after(() => fixture.close());
    const sql = `SELECT c.id, c.name, s.amount FROM crm.customers c JOIN lake.sales s ON s.customer_id = c.id
      WHERE c.id < 5 ORDER BY c.id, s.id`;
    const inMemory = async (duckdb: GatewayConfig['duckdb']) => {
      const engine = await createGatewayEngine({ ...fixture.config, ...(duckdb ? { duckdb } : {}) });
      try {
        const plan = await engine.explain(sql, { analyze: true });
        assert.ok((plan.analyze?.rows ?? 0) > 0);
        return plan.analyze?.residualInMemory === true;
      } finally {
        await engine.close();
      }
    };
    assert.equal(await inMemory(undefined), true);
    assert.equal(await inMemory({ inMemoryResidual: false }), false);
  });
});

describe('connector packages', () => {
  it('resolves short names to @spoke/connector-NAME and other strings as written', () => {
    assert.deepEqual(connectorSpecifiers('duckdb', '/cfg'), [
      '@spoke/connector-duckdb',
      'spoke-connector-duckdb',
      'duckdb',
    ]);
    assert.deepEqual(connectorSpecifiers('@acme/spoke-erp', '/cfg'), ['@acme/spoke-erp']);
    assert.deepEqual(connectorSpecifiers('./my-connector.js', '/cfg'), ['file:///cfg/my-connector.js']);
  });

  it('names the package to install when it is missing', async () => {
    await rejectsConfig(
      () => importConnector('nosuchthing', 'x', '/tmp'),
      /^sources\.x\.connector: no connector package for "nosuchthing" \(tried @spoke\/connector-nosuchthing, spoke-connector-nosuchthing, nosuchthing\); installed connectors: .*; install it: npm install @spoke\/connector-nosuchthing$/,
    );
    await rejectsConfig(
      () => importConnector('@acme/spoke-nope', 'erp', '/tmp'),
      /^sources\.erp\.connector: no connector package for "@acme\/spoke-nope" \(tried @acme\/spoke-nope\); installed connectors: .*; install it: npm install @acme\/spoke-nope$/,
    );
  });

  it('refuses a package that is not a connector', async () => {
    await rejectsConfig(
      () => importConnector('yaml', 'y', '/tmp'),
      /^sources\.y\.connector: yaml is not a Spoke connector package/,
    );
  });

  it('loads a connector from a file next to the config and creates it with the source name and base dir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spoke-connector-'));
    after(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'echo-connector.mjs'),
      `export const connector = { specificationVersion: 'v1', name: 'echo',
         async create(options, context) {
           return { specificationVersion: 'v1', options, context,
             catalog: { listSchemas: async () => [], getTable: async () => undefined, listTables: async () => [] },
             async close() {} };
         } };
       export default connector;`,
    );
    const config = parseConfig(
      `sources:\n  first: { connector: ./echo-connector.mjs, greeting: hi }\n`,
      dir,
      undefined,
      { env: {} },
    );
    const connectors = await loadConnectors(config);
    const echo = connectors.first as unknown as {
      options: Record<string, unknown>;
      context: Record<string, unknown>;
    };
    assert.deepEqual(echo.options, { connector: './echo-connector.mjs', greeting: 'hi' });
    assert.deepEqual(echo.context, { sourceName: 'first', baseDir: dir });
  });
});
