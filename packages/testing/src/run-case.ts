import {
  ErrorCode,
  type Expr,
  type FilterSupport,
  formatScalarType,
  fromArrowType,
  type QueryContext,
  type RecordBatch,
  type ScalarValue,
  type SpokeCatalog,
  SpokeError,
  type SpokeTable,
  walkExpr,
} from '@spoke/core';
import {
  type CanonicalRow,
  type CanonicalValue,
  canonicalRowsFromBatches,
  diffRows,
  formatRow,
  hexOf,
  normalizeDecimal,
  rowKey,
} from './canonical.js';
import type { ConformanceCapabilities } from './capabilities.js';
import type { CaseRequest, ConformanceCase, LimitCase, RowsCase, TopNCase } from './cases.js';
import { expressionSignatures } from './expression-signatures.js';
import { FIXTURE_ROW_COUNT, type FixtureColumn, fixtureColumns } from './fixture.js';
import type { DuckDBReference } from './reference.js';
import { isoToMicros, microsToIso } from './temporal.js';

/** What a case runs against. */
export interface CaseEnvironment {
  readonly catalog: SpokeCatalog;
  readonly table: SpokeTable;
  readonly fixtureSchema: string;
  readonly fixtureTable: string;
  readonly reference: DuckDBReference;
  readonly capabilities: ConformanceCapabilities;
  /** How long an aborted scan may take to stop. Default 5 s. */
  readonly abortDeadlineMs?: number;
}

/** Thrown when a connector does not conform; the message says what differed. */
export class ConformanceError extends Error {
  constructor(caseId: string, message: string) {
    super(`[${caseId}] ${message}`);
    this.name = 'ConformanceError';
  }
}

const context = (id: string): QueryContext => ({ queryId: `conformance:${id}`, roles: [] });

/** Runs one case; throws {@link ConformanceError} when the connector's answer is wrong. */
export async function runCase(c: ConformanceCase, env: CaseEnvironment): Promise<void> {
  const fail = (message: string): never => {
    throw new ConformanceError(c.id, `${c.description}: ${message}. ${capabilityHint(c, env.capabilities)}`);
  };
  switch (c.kind) {
    case 'catalog':
      return checkCatalog(env, fail);
    case 'schema':
      return checkSchema(env, fail);
    case 'scan':
    case 'filter':
      return checkRows(c, env, fail);
    case 'limit':
      return checkLimit(c, env, fail);
    case 'topN':
      return checkTopN(c, env, fail);
    case 'abort':
      return checkAbort(c.mode, c.id, env, fail);
    case 'statistics':
      return checkStatistics(env, fail);
  }
}

type Fail = (message: string) => never;

/**
 * What to drop from the declared capabilities if the source really cannot
 * do what case `c` asks — named, so a failure says how to declare the
 * connector honestly instead of leaving the author to guess.
 */
export function capabilityHint(c: ConformanceCase, capabilities: ConformanceCapabilities): string {
  const source = "if the source cannot answer this as Spoke's engine does";
  switch (c.kind) {
    case 'catalog':
    case 'abort':
      return 'This is part of the contract for every connector (no capability turns it off).';
    case 'schema':
      return `If the source stores a type differently, declare it: \`types\` (the fixture types it has) or \`schemaTypes\` (the Arrow type it surfaces).`;
    case 'statistics':
      return `If the source cannot count exactly, declare \`statistics: '${capabilities.statistics === 'exact' ? 'estimated' : 'none'}'\`.`;
    default:
      break;
  }
  const exprs = [...c.request.filters, ...(c.request.orderBy ?? []).map((k) => k.expr)];
  const signatures = [...new Set(exprs.flatMap((e) => expressionSignatures(e)))];
  const kinds = new Set<string>();
  for (const e of c.request.filters)
    walkExpr(e, (n) => {
      if (!['column', 'literal', 'and', 'compare', 'function', 'cast'].includes(n.kind)) kinds.add(n.kind);
    });
  const drops: string[] = [];
  if (signatures.length)
    drops.push(
      `exclude: ${JSON.stringify(signatures)} (and answer 'unsupported' for them in supportsFilters, or DECLINE them in the dialect's renderExpression)`,
    );
  if (kinds.size) drops.push(`operators without ${[...kinds].map((k) => `'${k}'`).join(', ')}`);
  if (c.kind === 'limit') drops.push('limit: false');
  if (c.kind === 'topN') drops.push('topN: false');
  if (c.request.filters.length && !signatures.length && !kinds.size)
    drops.push(`filters: 'inexact' (or answer 'unsupported' for this filter in supportsFilters)`);
  if (!drops.length) return 'A plain scan: this is part of the contract for every connector.';
  return `To declare the connector honestly ${source}: ${drops.join('; or ')}.`;
}

async function checkCatalog(env: CaseEnvironment, fail: Fail): Promise<void> {
  const schemas = await env.catalog.listSchemas();
  if (!schemas.includes(env.fixtureSchema))
    fail(`listSchemas() = ${JSON.stringify(schemas)} lacks "${env.fixtureSchema}"`);
  const tables = await env.catalog.listTables(env.fixtureSchema);
  if (!tables.includes(env.fixtureTable))
    fail(`listTables("${env.fixtureSchema}") = ${JSON.stringify(tables)} lacks "${env.fixtureTable}"`);
  const table = await env.catalog.getTable(env.fixtureSchema, env.fixtureTable);
  if (!table) fail(`getTable("${env.fixtureSchema}", "${env.fixtureTable}") is undefined`);
  if (table!.name !== env.fixtureTable)
    fail(`getTable(…).name is "${table!.name}", expected "${env.fixtureTable}"`);
  const missing = await env.catalog.getTable(env.fixtureSchema, `${env.fixtureTable}_does_not_exist`);
  if (missing !== undefined) fail('getTable() of a missing table must be undefined');
}

function expectedColumns(env: CaseEnvironment): readonly FixtureColumn[] {
  return fixtureColumns(env.capabilities.types);
}

async function checkSchema(env: CaseEnvironment, fail: Fail): Promise<void> {
  const schema = await env.table.schema();
  const expected = expectedColumns(env);
  const names = schema.fields.map((f) => f.name);
  const wanted = expected.map((c) => c.name);
  if (JSON.stringify(names) !== JSON.stringify(wanted))
    fail(`columns are ${JSON.stringify(names)}, expected ${JSON.stringify(wanted)}`);
  const wrong: string[] = [];
  expected.forEach((column, i) => {
    const actual = fromArrowType(schema.fields[i]!.type);
    const want = env.capabilities.schemaTypes?.[column.kind] ?? column.type;
    if (!actual || JSON.stringify(actual) !== JSON.stringify(want)) {
      wrong.push(
        `${column.name}: ${actual ? formatScalarType(actual) : String(schema.fields[i]!.type)}, expected ${formatScalarType(want)}`,
      );
    }
  });
  if (wrong.length) fail(`wrong Arrow types: ${wrong.join('; ')}`);
}

interface Collected {
  readonly rows: CanonicalRow[];
  readonly batches: RecordBatch[];
}

/** Scans and reads every batch, checking each batch's columns are the projection, in order. */
async function collect(
  env: CaseEnvironment,
  id: string,
  request: CaseRequest,
  fail: Fail,
  signal?: AbortSignal,
): Promise<Collected> {
  const batches: RecordBatch[] = [];
  const scan = env.table.scan({
    ...request,
    signal: signal ?? new AbortController().signal,
    context: context(id),
  });
  for await (const batch of scan) {
    const names = batch.schema.fields.map((f) => f.name);
    if (JSON.stringify(names) !== JSON.stringify(request.projection)) {
      fail(
        `a batch has columns ${JSON.stringify(names)}, expected the projection ${JSON.stringify(request.projection)}`,
      );
    }
    batches.push(batch);
  }
  const rows = request.projection.length
    ? canonicalRowsFromBatches(batches)
    : batches.flatMap((b) => Array.from({ length: b.numRows }, () => []));
  return { rows, batches };
}

async function expectedRows(
  env: CaseEnvironment,
  request: CaseRequest,
  expectedSql: string | undefined,
): Promise<CanonicalRow[]> {
  if (expectedSql === undefined) return env.reference.evaluate(request);
  const rows = await env.reference.query(expectedSql);
  return request.projection.length ? rows : rows.map(() => []);
}

function describeDiff(
  actual: readonly CanonicalRow[],
  expected: readonly CanonicalRow[],
  only?: 'extra' | 'missing',
): string {
  const { extra, missing } = diffRows(actual, expected);
  const parts = [`got ${actual.length} rows, expected ${expected.length}`];
  if (only !== 'missing' && extra.length)
    parts.push(
      `unexpected: ${extra.slice(0, 5).map(formatRow).join(' ')}${extra.length > 5 ? ` … (${extra.length})` : ''}`,
    );
  if (only !== 'extra' && missing.length)
    parts.push(
      `missing: ${missing.slice(0, 5).map(formatRow).join(' ')}${missing.length > 5 ? ` … (${missing.length})` : ''}`,
    );
  return parts.join('; ');
}

/** Asks `supportsFilters` and checks the answers against the declared capability. */
async function filterSupport(
  env: CaseEnvironment,
  filters: readonly Expr[],
  fail: Fail,
  needExact: boolean,
): Promise<FilterSupport[]> {
  if (!filters.length) return [];
  const answers = [
    ...((await env.table.supportsFilters?.(filters)) ?? filters.map(() => 'unsupported' as const)),
  ];
  if (answers.length !== filters.length)
    fail(`supportsFilters() gave ${answers.length} answers for ${filters.length} filters`);
  answers.forEach((a, i) => {
    if (!['exact', 'inexact', 'unsupported'].includes(a))
      fail(`supportsFilters() answered ${JSON.stringify(a)}`);
    if ((needExact || env.capabilities.filters === 'exact') && a !== 'exact')
      fail(`filter ${i + 1} was answered "${a}", but the connector declares exact filters`);
    if (env.capabilities.filters === 'inexact' && a === 'unsupported')
      fail(`filter ${i + 1} was answered "unsupported", but the connector declares filter push-down`);
  });
  return answers;
}

async function checkRows(c: RowsCase, env: CaseEnvironment, fail: Fail): Promise<void> {
  const answers = await filterSupport(env, c.request.filters, fail, false);
  const actual = await collect(env, c.id, c.request, fail);
  const expected = await expectedRows(env, c.request, c.expectedSql);
  if (answers.every((a) => a === 'exact')) {
    const { extra, missing } = diffRows(actual.rows, expected);
    if (extra.length || missing.length) fail(describeDiff(actual.rows, expected));
    return;
  }
  // Inexact: every expected row, and nothing that is not a row of the table.
  const { missing } = diffRows(actual.rows, expected);
  if (missing.length)
    fail(`an inexact filter dropped matching rows: ${describeDiff(actual.rows, expected, 'missing')}`);
  const all = await env.reference.evaluate({ projection: c.request.projection, filters: [] });
  const { extra } = diffRows(actual.rows, all);
  if (extra.length) fail(`rows that are not in the table: ${describeDiff(actual.rows, all, 'extra')}`);
}

async function checkLimit(c: LimitCase, env: CaseEnvironment, fail: Fail): Promise<void> {
  await filterSupport(env, c.request.filters, fail, true);
  const actual = await collect(env, c.id, c.request, fail);
  const { limit, ...unlimited } = c.request;
  const candidates = await expectedRows(env, unlimited, c.expectedSql);
  const want = Math.min(limit, candidates.length);
  if (actual.rows.length !== want)
    fail(`LIMIT ${limit} returned ${actual.rows.length} rows, expected ${want}`);
  const { extra } = diffRows(actual.rows, candidates);
  if (extra.length)
    fail(
      `rows that the request without LIMIT does not return: ${describeDiff(actual.rows, candidates, 'extra')}`,
    );
}

async function checkTopN(c: TopNCase, env: CaseEnvironment, fail: Fail): Promise<void> {
  await filterSupport(env, c.request.filters, fail, true);
  const actual = await collect(env, c.id, c.request, fail);
  const expected = await expectedRows(env, c.request, c.expectedSql);
  const a = actual.rows.map(rowKey);
  const e = expected.map(rowKey);
  if (a.length !== e.length) fail(`returned ${a.length} rows, expected ${e.length}`);
  const at = a.findIndex((k, i) => k !== e[i]);
  if (at >= 0)
    fail(
      `row ${at + 1} is ${formatRow(actual.rows[at]!)}, expected ${formatRow(expected[at]!)} (order matters for top-N)`,
    );
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string, fail: Fail): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        fail(`${what} did not finish within ${ms} ms`);
      } catch (error) {
        reject(error);
      }
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function expectCancelled(error: unknown, fail: Fail): void {
  if (!SpokeError.isInstance(error) || error.code !== ErrorCode.QUERY_CANCELLED) {
    fail(
      `expected SpokeError QUERY_CANCELLED, got ${SpokeError.isInstance(error) ? error.code : String(error)}${error instanceof Error ? `: ${error.message}` : ''}`,
    );
  }
}

async function checkAbort(
  mode: 'pre-aborted' | 'during-iteration' | 'early-return',
  id: string,
  env: CaseEnvironment,
  fail: Fail,
): Promise<void> {
  const deadline = env.abortDeadlineMs ?? 5000;
  const projection = fixtureColumns(env.capabilities.types).map((c) => c.name);
  const controller = new AbortController();
  if (mode === 'pre-aborted') {
    controller.abort(new Error('cancelled by the conformance kit'));
    let rows = 0;
    try {
      await withDeadline(
        (async () => {
          for await (const batch of env.table.scan({
            projection,
            filters: [],
            signal: controller.signal,
            context: context(id),
          }))
            rows += batch.numRows;
        })(),
        deadline,
        'a scan with an aborted signal',
        fail,
      );
    } catch (error) {
      if (error instanceof ConformanceError) throw error;
      expectCancelled(error, fail);
    }
    if (rows > 0) fail(`a scan with an already aborted signal returned ${rows} rows`);
  } else {
    const iterator = env.table
      .scan({ projection, filters: [], signal: controller.signal, context: context(id) })
      [Symbol.asyncIterator]();
    const first = await withDeadline(iterator.next(), deadline * 4, 'the first batch', fail);
    if (first.done) fail('the scan returned no batch at all');
    if (mode === 'during-iteration') {
      controller.abort(new Error('cancelled by the conformance kit'));
      const started = Date.now();
      try {
        for (;;) {
          const next = await withDeadline(iterator.next(), deadline, 'iteration after abort', fail);
          if (next.done) break;
          if (Date.now() - started > deadline) fail(`still yielding batches ${deadline} ms after abort`);
        }
      } catch (error) {
        if (error instanceof ConformanceError) throw error;
        expectCancelled(error, fail);
      }
    } else {
      await withDeadline(
        Promise.resolve(iterator.return?.()),
        deadline,
        'return() on the scan iterator',
        fail,
      );
    }
  }
  // The connector must still work afterwards (connections released, not left interrupted).
  const after = await collect(env, id, { projection: ['id'], filters: [] }, fail);
  if (after.rows.length !== FIXTURE_ROW_COUNT)
    fail(`a scan after the cancelled one returned ${after.rows.length} rows, expected ${FIXTURE_ROW_COUNT}`);
}

/** A statistics value (ScalarValue) in canonical form, for min/max checks. */
function canonicalScalar(column: FixtureColumn, value: ScalarValue): CanonicalValue {
  if (value === null) return null;
  switch (column.kind) {
    case 'int16':
    case 'int32':
    case 'int64':
      return BigInt(value as number | bigint);
    case 'float64':
      return Number(value);
    case 'decimal18':
    case 'decimal38':
      return normalizeDecimal(String(value));
    case 'date':
      return String(value).slice(0, 10);
    case 'timestamp':
      return microsToIso(isoToMicros(String(value)));
    case 'timestamptz':
      return `${microsToIso(isoToMicros(String(value).replace(/(Z|[+-]00(:?00)?)$/, '')))}Z`;
    case 'binary':
      return hexOf(value as Uint8Array);
    default:
      return value as CanonicalValue;
  }
}

async function checkStatistics(env: CaseEnvironment, fail: Fail): Promise<void> {
  const declared = env.capabilities.statistics ?? 'none';
  const stats = await env.table.statistics?.();
  if (!stats) {
    if (declared !== 'none') fail('statistics() returned nothing, but the connector declares statistics');
    return;
  }
  const rowCount = stats.rowCount;
  if (declared !== 'none' && !rowCount) fail('statistics() has no rowCount');
  if (declared === 'exact' && rowCount && !rowCount.exact)
    fail('rowCount is an estimate, but the connector declares exact statistics');
  if (rowCount) {
    if (!Number.isFinite(rowCount.value) || rowCount.value < 0)
      fail(`rowCount ${rowCount.value} is not a count`);
    if (rowCount.exact && rowCount.value !== FIXTURE_ROW_COUNT)
      fail(`exact rowCount is ${rowCount.value}, expected ${FIXTURE_ROW_COUNT}`);
  }
  if (stats.totalBytes && (!Number.isFinite(stats.totalBytes.value) || stats.totalBytes.value < 0))
    fail(`totalBytes ${stats.totalBytes.value} is not a size`);
  for (const [name, s] of Object.entries(stats.columns ?? {})) {
    const column = expectedColumns(env).find((c) => c.name === name);
    if (!column) fail(`statistics for unknown column "${name}"`);
    const quoted = env.reference.dialect.quoteIdentifier(name);
    const [row] = await env.reference.query(
      `SELECT count(*) - count(${quoted}), min(${quoted}), max(${quoted}) FROM spoke_conformance`,
    );
    const [nulls, min, max] = row!;
    if (s.nullCount?.exact && BigInt(s.nullCount.value) !== nulls)
      fail(`${name}: exact nullCount ${s.nullCount.value}, expected ${nulls}`);
    if (s.min?.exact && rowKey([canonicalScalar(column!, s.min.value)]) !== rowKey([min!]))
      fail(`${name}: exact min ${String(s.min.value)}, expected ${String(min)}`);
    if (s.max?.exact && rowKey([canonicalScalar(column!, s.max.value)]) !== rowKey([max!]))
      fail(`${name}: exact max ${String(s.max.value)}, expected ${String(max)}`);
  }
}
