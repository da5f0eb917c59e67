import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrow } from '@spoke/core';
import { fixtureTable, runConformance } from '@spoke/testing';
import { connector } from '../src/index.js';

// The conformance kit: the fixture (every common type, NULLs, hostile text) in
// the source, then every case compared with DuckDB on the same rows. Declare
// what the connector does; the kit checks it and says which capability to drop.
runConformance({
  name: 'my-source',
  capabilities: connector.docs!.capabilities!,
  setup: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'my-source-conformance-'));
    await writeFile(join(dir, 'spoke_conformance.arrow'), arrow.tableToIPC(fixtureTable(), 'file'));
    const source = await connector.create({ directory: dir }, { sourceName: 'conformance', baseDir: dir });
    return {
      connector: source,
      fixtureSchema: 'main',
      teardown: () => rm(dir, { recursive: true, force: true }),
    };
  },
});
