/**
 * Validation of the `policies:` section of the gateway's configuration (the
 * YAML-shaped object) into {@link PolicyRule}s. Every error is
 * `INVALID_CONFIG` naming the bad key (`policies[2].rule: …`).
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import { type AstNode, walkAst } from '../parse/ast.js';
import { parseSql } from '../parse/parse-sql.js';
import type { MaskKind, PolicyRule, RuleKind } from './policy-rule.js';

/** One entry of `policies:` as written in YAML. */
export interface PolicyConfigEntry {
  readonly name?: string;
  /** `source`, `source.schema`, `source.table`, `source.schema.table`, `source.table.column`, `source.schema.table.column`. */
  readonly on?: string;
  /** `deny`, `allow`, `aggregate_only`, `mask`, `mask(col, …)`, `row_filter`, `read_only`, `append_only`, `never_upload`, `require_tls`, and the design's `role_based`, `append_only_read`. */
  readonly rule: string;
  readonly roles?: readonly string[];
  readonly except_roles?: readonly string[];
  /** `role_based`: the roles that see raw rows (everyone else gets `aggregate_only`). */
  readonly raw_roles?: readonly string[];
  readonly mask?: MaskKind;
  readonly salt?: string;
  readonly keep_last?: number;
  readonly min_group_size?: number;
  /** `row_filter`: a SQL predicate over the table's columns; `current_user_attr('name')` and `current_user` refer to the caller. */
  readonly predicate?: string;
}

/** The default `min_group_size` of `aggregate_only`. */
export const DEFAULT_MIN_GROUP_SIZE = 5;
/** The default `keep_last` of the `partial` mask. */
export const DEFAULT_KEEP_LAST = 4;

const MASKS: readonly MaskKind[] = ['redact', 'email', 'partial', 'hash', 'null'];
const KEYS = new Set([
  'name',
  'on',
  'rule',
  'roles',
  'except_roles',
  'raw_roles',
  'mask',
  'salt',
  'keep_last',
  'min_group_size',
  'predicate',
]);
const COLUMN_RULES = new Set<RuleKind>(['deny', 'allow', 'mask']);

/** Functions a row filter may call that the policy replaces by the caller's values. */
export const USER_ATTRIBUTE_FUNCTION = 'current_user_attr';

const invalid = (key: string, message: string) =>
  new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: ${message}`);

/**
 * Validates `policies` — a list of entries, or a mapping from `on` path to a
 * rule (`crm.customers: aggregate_only`) or to an entry without `on` — and
 * returns the rules. `path` prefixes error keys.
 */
export async function parsePolicyConfig(policies: unknown, path = 'policies'): Promise<PolicyRule[]> {
  const entries: { key: string; entry: Record<string, unknown> }[] = [];
  if (policies === undefined || policies === null) return [];
  if (Array.isArray(policies)) {
    policies.forEach((entry, i) => {
      const key = `${path}[${i}]`;
      if (!isRecord(entry)) throw invalid(key, 'expected a mapping with name, on, rule and roles');
      entries.push({ key, entry });
    });
  } else if (isRecord(policies)) {
    for (const [on, value] of Object.entries(policies)) {
      const key = `${path}.${on}`;
      if (typeof value === 'string')
        entries.push({ key, entry: { name: `${on}: ${value}`, on, rule: value } });
      else if (isRecord(value)) {
        if ('on' in value) throw invalid(`${key}.on`, 'the mapping key already names the object');
        entries.push({ key, entry: { name: `${on}: ${String(value.rule)}`, ...value, on } });
      } else throw invalid(key, 'expected a rule name or a mapping');
    }
  } else {
    throw invalid(path, 'expected a list of rules');
  }
  const rules: PolicyRule[] = [];
  const names = new Set<string>();
  for (const { key, entry } of entries) {
    const rule = await parseEntry(entry, key);
    if (names.has(rule.name)) throw invalid(`${key}.name`, `duplicate rule name "${rule.name}"`);
    names.add(rule.name);
    rules.push(rule);
  }
  return rules;
}

async function parseEntry(entry: Record<string, unknown>, key: string): Promise<PolicyRule> {
  for (const k of Object.keys(entry))
    if (!KEYS.has(k)) throw invalid(`${key}.${k}`, `unknown key (expected one of ${[...KEYS].join(', ')})`);
  const name = requiredString(entry, 'name', key);
  const onText = requiredString(entry, 'on', key);
  const on = onText.split('.');
  if (on.length > 4 || on.some((p) => p.trim() === '')) {
    throw invalid(
      `${key}.on`,
      `"${onText}" is not source, source.schema, source.table, source.schema.table or source.[schema.]table.column`,
    );
  }
  const ruleText = requiredString(entry, 'rule', key).trim();
  let kind: RuleKind;
  let columns: string[] | undefined;
  const maskCall = /^mask\s*\(([^)]*)\)$/i.exec(ruleText);
  let exceptRoles = stringList(entry, 'except_roles', key) ?? [];
  let roles = stringList(entry, 'roles', key);
  if (maskCall) {
    kind = 'mask';
    columns = maskCall[1]!.split(',').map((c) => c.trim());
    if (columns.some((c) => !/^[^\s.]+$/.test(c)))
      throw invalid(`${key}.rule`, `"${ruleText}": expected mask(column, …)`);
    if (on.length === 4) throw invalid(`${key}.rule`, 'mask(columns) needs a table in "on", not a column');
  } else {
    switch (ruleText.toLowerCase()) {
      case 'deny':
      case 'allow':
      case 'aggregate_only':
      case 'mask':
      case 'row_filter':
      case 'read_only':
      case 'append_only':
      case 'never_upload':
      case 'require_tls':
        kind = ruleText.toLowerCase() as RuleKind;
        break;
      case 'append_only_read':
        kind = 'append_only';
        break;
      case 'role_based': {
        // The design's "executives see raw data, analysts see aggregates".
        kind = 'aggregate_only';
        const raw = stringList(entry, 'raw_roles', key);
        if (!raw?.length) throw invalid(`${key}.raw_roles`, 'role_based needs the roles that see raw rows');
        exceptRoles = [...exceptRoles, ...raw];
        break;
      }
      default:
        throw invalid(
          `${key}.rule`,
          `unknown rule "${ruleText}" (expected deny, allow, aggregate_only, mask, mask(columns), row_filter, read_only, append_only, never_upload, require_tls, role_based or append_only_read)`,
        );
    }
  }
  if (entry.raw_roles !== undefined && ruleText.toLowerCase() !== 'role_based')
    throw invalid(`${key}.raw_roles`, 'only for rule role_based');
  if (on.length === 4 && !COLUMN_RULES.has(kind))
    throw invalid(`${key}.on`, `${kind} applies to a source, schema or table, not a column`);
  roles ??= ['*'];
  if (roles.length === 0)
    throw invalid(`${key}.roles`, 'empty: the rule would apply to nobody (use ["*"] for everyone)');

  const optional: { -readonly [K in keyof PolicyRule]?: PolicyRule[K] } = {};
  if (entry.mask !== undefined) {
    if (kind !== 'mask') throw invalid(`${key}.mask`, 'only for rule mask');
    if (!MASKS.includes(entry.mask as MaskKind))
      throw invalid(`${key}.mask`, `unknown mask "${String(entry.mask)}" (expected ${MASKS.join(', ')})`);
    optional.mask = entry.mask as MaskKind;
  }
  if (entry.salt !== undefined) {
    if (typeof entry.salt !== 'string') throw invalid(`${key}.salt`, 'expected a string');
    optional.salt = entry.salt;
  }
  if (entry.keep_last !== undefined) optional.keepLast = integer(entry.keep_last, `${key}.keep_last`, 0);
  if (entry.min_group_size !== undefined) {
    if (kind !== 'aggregate_only')
      throw invalid(`${key}.min_group_size`, 'only for aggregate_only and role_based');
    optional.minGroupSize = integer(entry.min_group_size, `${key}.min_group_size`, 1);
  }
  if (kind === 'aggregate_only') optional.minGroupSize ??= DEFAULT_MIN_GROUP_SIZE;
  if (kind === 'row_filter') {
    const sql = requiredString(entry, 'predicate', key);
    optional.predicate = { sql, tree: await parsePredicate(sql, `${key}.predicate`) };
  } else if (entry.predicate !== undefined) {
    throw invalid(`${key}.predicate`, 'only for rule row_filter');
  }
  return { name, on, kind, roles, exceptRoles, ...(columns ? { columns } : {}), ...optional };
}

/** Parses a row filter: one boolean expression over the table's own columns, without sub-queries or parameters. */
async function parsePredicate(sql: string, key: string): Promise<AstNode> {
  let statements: Awaited<ReturnType<typeof parseSql>>;
  try {
    statements = await parseSql(`SELECT 1 WHERE ${sql}`);
  } catch (error) {
    throw new SpokeError(ErrorCode.INVALID_CONFIG, `${key}: ${(error as Error).message}`, { cause: error });
  }
  const stmt = statements.length === 1 ? statements[0]!.node.SelectStmt : undefined;
  const extra = stmt
    ? Object.keys(stmt).filter((k) => !['targetList', 'whereClause', 'limitOption', 'op'].includes(k))
    : [];
  if (!stmt?.whereClause || stmt.op !== 'SETOP_NONE' || extra.length)
    throw invalid(key, `"${sql}" is not a single boolean expression`);
  walkAst(stmt.whereClause, (n) => {
    if (n.SubLink) throw invalid(key, 'sub-queries are not allowed in a row filter');
    if (n.ParamRef) throw invalid(key, 'parameters are not allowed in a row filter');
    if (n.ColumnRef && (n.ColumnRef.fields.length !== 1 || n.ColumnRef.fields[0].A_Star)) {
      throw invalid(key, 'name columns of the table unqualified');
    }
    const call = n.FuncCall;
    if (call && call.funcname.at(-1)?.String?.sval?.toLowerCase() === USER_ATTRIBUTE_FUNCTION) {
      const arg = call.args?.[0]?.A_Const?.sval?.sval;
      if (call.args?.length !== 1 || typeof arg !== 'string') {
        throw invalid(key, `${USER_ATTRIBUTE_FUNCTION}() takes one string constant, the attribute's name`);
      }
    }
    return undefined;
  });
  return stmt.whereClause;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(entry: Record<string, unknown>, name: string, key: string): string {
  const value = entry[name];
  if (typeof value !== 'string' || value.trim() === '')
    throw invalid(`${key}.${name}`, 'required (a non-empty string)');
  return value;
}

function stringList(entry: Record<string, unknown>, name: string, key: string): string[] | undefined {
  const value = entry[name];
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' || v === ''))
    throw invalid(`${key}.${name}`, 'expected a list of role names');
  return list as string[];
}

function integer(value: unknown, key: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw invalid(key, `expected an integer ≥ ${min}`);
  return value;
}
