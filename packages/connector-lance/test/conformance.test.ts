import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureTable, runConformance } from '@spoke/testing';
import { LanceConnector } from '../src/index.js';

// Lance evaluates what it accepts exactly; arithmetic, casts and the functions Lance lacks stay local.
const types = [
  'int16',
  'int32',
  'int64',
  'float64',
  'decimal18',
  'decimal38',
  'utf8',
  'bool',
  'date',
  'timestamp',
] as const;
runConformance({
  name: 'lance',
  capabilities: {
    filters: 'exact',
    limit: true,
    topN: true,
    statistics: 'exact',
    types,
    functions: ['length', 'concat', 'replace', 'starts_with', 'abs', 'coalesce', 'nullif'],
    operators: [
      'column',
      'literal',
      'compare',
      'and',
      'or',
      'not',
      'in',
      'between',
      'like',
      'isNull',
      'function',
    ],
  },
  setup: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spoke-lance-conformance-'));
    const connector = await LanceConnector.open({ uri: dir }, { sourceName: 'lance', baseDir: dir });
    const table = fixtureTable(types);
    await connector.createTableFrom('spoke_conformance', table.schema, table.batches);
    return {
      connector,
      fixtureSchema: 'default',
      teardown: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
});
