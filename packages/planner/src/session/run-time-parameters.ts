/**
 * The run-time parameters (PostgreSQL's GUCs) that drivers, ORMs and BI tools
 * read and set on connect: their PostgreSQL spelling and the value a session
 * starts with. SQLAlchemy and psqlODBC refuse to connect when
 * `SHOW transaction isolation level` fails; pgjdbc sets `extra_float_digits`;
 * psycopg reads `standard_conforming_strings` and `DateStyle`.
 */

import { ErrorCode, SpokeError } from '@spoke/core';

/** One parameter: how PostgreSQL spells it (SHOW's column name) and its default. */
export interface RunTimeParameter {
  readonly name: string;
  readonly value: string;
  /** Read-only in PostgreSQL (`SET` refuses with 55P02); RESET ALL keeps it. */
  readonly readOnly?: boolean;
}

const PARAMETERS: readonly RunTimeParameter[] = [
  { name: 'application_name', value: '' },
  { name: 'block_size', value: '8192', readOnly: true },
  { name: 'bytea_output', value: 'hex' },
  { name: 'client_encoding', value: 'UTF8' },
  { name: 'client_min_messages', value: 'notice' },
  { name: 'DateStyle', value: 'ISO, MDY' },
  { name: 'default_transaction_isolation', value: 'read committed' },
  { name: 'default_transaction_read_only', value: 'off' },
  { name: 'extra_float_digits', value: '1' },
  { name: 'idle_in_transaction_session_timeout', value: '0' },
  { name: 'in_hot_standby', value: 'off', readOnly: true },
  { name: 'integer_datetimes', value: 'on', readOnly: true },
  { name: 'IntervalStyle', value: 'postgres' },
  { name: 'is_superuser', value: 'off', readOnly: true },
  { name: 'lc_collate', value: 'C.UTF-8', readOnly: true },
  { name: 'lc_ctype', value: 'C.UTF-8', readOnly: true },
  { name: 'lc_messages', value: 'C.UTF-8' },
  { name: 'lc_monetary', value: 'C.UTF-8' },
  { name: 'lc_numeric', value: 'C.UTF-8' },
  { name: 'lc_time', value: 'C.UTF-8' },
  { name: 'lock_timeout', value: '0' },
  { name: 'max_identifier_length', value: '63', readOnly: true },
  { name: 'max_index_keys', value: '32', readOnly: true },
  { name: 'search_path', value: '"$user", public' },
  { name: 'server_encoding', value: 'UTF8', readOnly: true },
  { name: 'server_version', value: '15.0', readOnly: true },
  { name: 'server_version_num', value: '150000', readOnly: true },
  { name: 'session_authorization', value: '', readOnly: true },
  { name: 'standard_conforming_strings', value: 'on' },
  { name: 'statement_timeout', value: '0' },
  { name: 'TimeZone', value: 'UTC' },
  { name: 'transaction_isolation', value: 'read committed' },
  { name: 'transaction_read_only', value: 'off' },
];

/** The known parameters by lower-case name (every name the system catalog's pg_settings has, and more). */
export const RUN_TIME_PARAMETERS: ReadonlyMap<string, RunTimeParameter> = new Map(
  PARAMETERS.map((p) => [p.name.toLowerCase(), p]),
);

/** PostgreSQL's spelling of a parameter (`timezone` → `TimeZone`), or the name as given. */
export function parameterDisplayName(name: string): string {
  return RUN_TIME_PARAMETERS.get(name.toLowerCase())?.name ?? name;
}

/**
 * A parameter's value in a session: what was SET (or sent at startup), else
 * its default; `undefined` when PostgreSQL would not recognize it either.
 */
export function parameterValue(settings: ReadonlyMap<string, string>, name: string): string | undefined {
  const key = name.toLowerCase();
  return settings.get(key) ?? RUN_TIME_PARAMETERS.get(key)?.value;
}

/** 42704, as PostgreSQL answers a parameter it does not know. */
export function unrecognized(name: string): SpokeError {
  return new SpokeError(ErrorCode.INVALID_QUERY, `unrecognized configuration parameter "${name}"`, {
    details: { sqlstate: '42704' },
  });
}

/** 55P02 for the parameters PostgreSQL fixes at server start (server_version…). */
export function checkSettable(name: string): void {
  if (RUN_TIME_PARAMETERS.get(name.toLowerCase())?.readOnly) {
    throw new SpokeError(ErrorCode.INVALID_QUERY, `parameter "${name}" cannot be changed`, {
      details: { sqlstate: '55P02' },
    });
  }
}

/** Milliseconds in each unit PostgreSQL takes for a time setting. */
const TIME_UNITS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * A time setting such as `statement_timeout` in milliseconds, read as
 * PostgreSQL reads it: a number in milliseconds, or with a unit (`us`, `ms`,
 * `s`, `min`, `h`, `d`; `'1.5s'`), rounded to whole milliseconds; 0 turns the
 * timeout off. `undefined` when `value` is not such a value.
 */
export function timeSettingMs(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(us|ms|s|min|h|d)?\s*$/.exec(value);
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * TIME_UNITS[match[2] ?? 'ms']!);
  return Number.isFinite(ms) && ms <= 2_147_483_647 ? ms : undefined;
}

/** Refuses a value PostgreSQL would refuse for a parameter Spoke acts on (`statement_timeout`), with 22023. */
export function checkParameterValue(name: string, value: string): void {
  if (name !== 'statement_timeout' || timeSettingMs(value) !== undefined) return;
  throw new SpokeError(
    ErrorCode.INVALID_QUERY,
    `invalid value for parameter "statement_timeout": "${value}"`,
    {
      details: {
        sqlstate: '22023',
        hint: 'Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".',
      },
    },
  );
}
