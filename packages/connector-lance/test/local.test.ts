import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { LanceConnector } from '../src/index.js';
import { lanceSuite } from './helpers/suite.js';

const dir = mkdtempSync(join(tmpdir(), 'spoke-lance-'));
after(() => rmSync(dir, { recursive: true, force: true }));

lanceSuite('local directory', async (options = {}) => {
  const connector = await LanceConnector.open(
    { uri: dir, ...options },
    { sourceName: 'lance', baseDir: dir },
  );
  return { connector, close: async () => {} };
});
