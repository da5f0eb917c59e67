/**
 * `SELECT current_setting('name')` and `SELECT set_config('name', 'value', is_local)`
 * as drivers send them: a select list of only these calls with constant
 * arguments and no FROM. They are answered from the session's own settings
 * (what SET changed), which the system catalog's `pg_settings` cannot know.
 * Calls inside larger queries still read `pg_settings` (the defaults).
 */
import type { QueryResult, Session } from '../engine-api.js';
import type { AstNode } from '../parse/ast.js';
import { checkParameterValue, checkSettable, parameterValue, unrecognized } from './run-time-parameters.js';
import { textResult } from './text-result.js';

const FUNCTIONS = new Set(['current_setting', 'set_config']);

/** The call of one select-list item, when it is current_setting/set_config with constant arguments. */
function settingsCall(target: AstNode): { name: string; args: (string | boolean)[] } | undefined {
  const call = target.ResTarget?.val?.FuncCall;
  if (!call) return undefined;
  const names = ((call.funcname ?? []) as AstNode[]).map((n) => n.String?.sval as string);
  const name = names.at(-1);
  if (name === undefined || !FUNCTIONS.has(name)) return undefined;
  if (names.length === 2 && names[0] !== 'pg_catalog') return undefined;
  if (names.length > 2 || call.agg_star || call.over || call.agg_filter) return undefined;
  const args: (string | boolean)[] = [];
  for (const arg of (call.args ?? []) as AstNode[]) {
    const c = arg.A_Const ?? arg.TypeCast?.arg?.A_Const;
    if (!c) return undefined;
    if (c.sval) args.push(String(c.sval.sval ?? ''));
    else if (c.boolval) args.push(Boolean(c.boolval.boolval));
    else return undefined;
  }
  const arity = name === 'current_setting' ? [1, 2] : [3];
  return arity.includes(args.length) ? { name, args } : undefined;
}

/** True for `SELECT current_setting(…), set_config(…)` with nothing else. */
export function isSettingsSelect(select: AstNode): boolean {
  const targets = (select.targetList ?? []) as AstNode[];
  if (targets.length === 0 || select.fromClause || select.whereClause || select.valuesLists) return false;
  if (select.groupClause || select.havingClause || select.withClause || select.op !== 'SETOP_NONE')
    return false;
  if (select.sortClause || select.limitCount || select.limitOffset || select.distinctClause) return false;
  return targets.every((t) => settingsCall(t) !== undefined);
}

/** Evaluates the calls in order (a set_config is seen by a later current_setting). */
export function runSettingsSelect(select: AstNode, session: Session): QueryResult {
  const columns: string[] = [];
  const row: (string | null)[] = [];
  for (const target of select.targetList as AstNode[]) {
    const { name, args } = settingsCall(target)!;
    columns.push((target.ResTarget.name as string | undefined) ?? name);
    const parameter = String(args[0]);
    if (name === 'current_setting') {
      const value = parameterValue(session.settings, parameter);
      if (value === undefined && args[1] !== true && args[1] !== 'true') throw unrecognized(parameter);
      row.push(value ?? null);
    } else {
      checkSettable(parameter);
      checkParameterValue(parameter.toLowerCase(), String(args[1]));
      // is_local (the third argument) would end with the transaction; Spoke's transactions isolate nothing, so it lasts.
      session.settings.set(parameter.toLowerCase(), String(args[1]));
      row.push(String(args[1]));
    }
  }
  return textResult(columns, [row], 'SELECT');
}
