import { after, before, describe, test } from 'node:test';
import type { SpokeConnector, SpokeTable } from '@spoke/core';
import type { ConformanceCapabilities } from './capabilities.js';
import { selectCases } from './capabilities.js';
import { FIXTURE_TABLE, fixtureColumns } from './fixture.js';
import { DuckDBReference } from './reference.js';
import { type CaseEnvironment, runCase } from './run-case.js';
import { runWholeQueryCase } from './run-whole-query.js';
import { WHOLE_QUERY_CASES } from './whole-query-cases.js';

/** What a connector's conformance setup hands the kit. */
export interface ConformanceSetup {
  /** A connector whose catalog holds the fixture. The kit closes it after the last case. */
  readonly connector: SpokeConnector;
  /** The schema holding the fixture table. */
  readonly fixtureSchema: string;
  /** The fixture table's name; default `spoke_conformance`. */
  readonly fixtureTable?: string;
  /** Called after the connector is closed: stop servers, remove temp files. */
  readonly teardown?: () => Promise<void>;
}

/** Options for {@link runConformance}. */
export interface ConformanceOptions {
  /** Names the suite (`duckdb conformance`). */
  readonly name: string;
  /** Creates the fixture in the source and the connector over it. Runs once, before the first case. */
  readonly setup: () => Promise<ConformanceSetup>;
  /** What the connector declares; selects the cases. */
  readonly capabilities: ConformanceCapabilities;
  /** Time limit per case in ms; default 30 000. */
  readonly timeoutMs?: number;
  /** Time limit for setup in ms; default 120 000. */
  readonly setupTimeoutMs?: number;
}

/**
 * Registers the conformance suite with `node:test`: one `describe` named
 * after the connector, one `test` per selected case (named by the case id).
 * A connector's whole conformance test is one call:
 *
 * ```ts
 * runConformance({ name: 'duckdb', setup, capabilities: { filters: 'exact', limit: true, topN: true } });
 * ```
 *
 * With `wholeQueries: true` in the capabilities it also registers one test
 * per whole-query case (`whole.*`), skipped when the connector's dialect
 * does not declare what the case uses.
 */
export function runConformance(options: ConformanceOptions): void {
  const cases = selectCases(options.capabilities);
  describe(`${options.name} conformance`, () => {
    let setup: ConformanceSetup | undefined;
    let reference: DuckDBReference | undefined;
    let env: CaseEnvironment | undefined;

    before(
      async () => {
        reference = await DuckDBReference.create(options.capabilities.types);
        setup = await options.setup();
        const fixtureTable = setup.fixtureTable ?? FIXTURE_TABLE;
        const table: SpokeTable | undefined = await setup.connector.catalog.getTable(
          setup.fixtureSchema,
          fixtureTable,
        );
        if (!table)
          throw new Error(
            `the connector has no table "${setup.fixtureSchema}"."${fixtureTable}"; did setup create the fixture?`,
          );
        env = {
          catalog: setup.connector.catalog,
          table,
          fixtureSchema: setup.fixtureSchema,
          fixtureTable,
          reference,
          capabilities: options.capabilities,
        };
      },
      { timeout: options.setupTimeoutMs ?? 120_000 },
    );

    after(async () => {
      try {
        await setup?.connector.close();
      } finally {
        try {
          await setup?.teardown?.();
        } finally {
          reference?.close();
        }
      }
    });

    for (const c of cases) {
      test(c.id, { timeout: options.timeoutMs ?? 30_000 }, async () => {
        if (!env) throw new Error('conformance setup failed');
        await runCase(c, env);
      });
    }

    if (options.capabilities.wholeQueries) {
      const available = new Set(fixtureColumns(options.capabilities.types).map((c) => c.name));
      for (const c of WHOLE_QUERY_CASES) {
        if (!c.columns.every((name) => available.has(name))) continue;
        test(c.id, { timeout: options.timeoutMs ?? 30_000 }, async (t) => {
          if (!env || !setup) throw new Error('conformance setup failed');
          const outcome = await runWholeQueryCase(c, {
            sql: setup.connector.sql,
            fixtureSchema: env.fixtureSchema,
            fixtureTable: env.fixtureTable,
            reference: env.reference,
          });
          // Not run is no failure: the planner runs such statements federated.
          if (!outcome.ran) t.skip(outcome.reason);
        });
      }
    }
  });
}
