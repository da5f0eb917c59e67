/**
 * The one Arrow module every Spoke package uses.
 *
 * Why: `apache-arrow` ships an ESM and a CommonJS build, and their classes are
 * distinct at run time. `@lancedb/lancedb` loads the CommonJS build, so a table
 * built from an ESM `import 'apache-arrow'` fails inside LanceDB ("schemas must
 * be equivalent") and LanceDB's results fail `instanceof` checks in ESM code.
 * Loading the CommonJS build here, once, and importing Arrow values only from
 * `@spoke/core` removes that hazard for the whole workspace.
 *
 * Import *types* from `apache-arrow` freely (`import type`); import *values*
 * (`tableFromIPC`, `RecordBatch`, `Field`, …) only through {@link arrow}.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The CommonJS build of `apache-arrow` 18.1.0, shared by every package. */
export const arrow: typeof import('apache-arrow') = require('apache-arrow');

export type {
  DataType,
  Field,
  RecordBatch,
  Schema,
  Table,
  Vector,
} from 'apache-arrow';
