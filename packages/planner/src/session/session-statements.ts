/**
 * The session statements drivers send on connect and around queries: `SET`,
 * `RESET`, `SHOW`, `BEGIN`/`COMMIT`/`ROLLBACK`, `DISCARD`, `DEALLOCATE`.
 * Spoke is read-mostly: a transaction groups statements but isolates nothing,
 * which is what BI tools and drivers expect from a read-only session.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { QueryResult, Session } from '../engine-api.js';
import { type AstNode, nodeKind } from '../parse/ast.js';
import {
  checkParameterValue,
  checkSettable,
  parameterDisplayName,
  parameterValue,
  RUN_TIME_PARAMETERS,
  unrecognized,
} from './run-time-parameters.js';
import { isSettingsSelect, runSettingsSelect } from './settings-functions.js';
import { commandResult, textResult } from './text-result.js';

/** True for the statement kinds handled here. */
export function isSessionStatement(node: AstNode): boolean {
  const [kind, body] = nodeKind(node);
  if (kind === 'SelectStmt') return isSettingsSelect(body);
  return ['VariableSetStmt', 'VariableShowStmt', 'TransactionStmt', 'DiscardStmt', 'DeallocateStmt'].includes(
    kind,
  );
}

/** Runs one session statement against `session`. */
export function runSessionStatement(node: AstNode, session: Session): QueryResult {
  const [kind, body] = nodeKind(node);
  switch (kind) {
    case 'SelectStmt':
      return runSettingsSelect(body, session);
    case 'VariableSetStmt':
      return setVariable(body, session);
    case 'VariableShowStmt': {
      const name = String(body.name).toLowerCase();
      if (name === 'all') {
        const names = [...new Set([...RUN_TIME_PARAMETERS.keys(), ...session.settings.keys()])].sort();
        return textResult(
          ['name', 'setting', 'description'],
          names.map((n) => [parameterDisplayName(n), parameterValue(session.settings, n) ?? '', '']),
          'SHOW',
        );
      }
      const value = parameterValue(session.settings, name);
      if (value === undefined) throw unrecognized(String(body.name));
      return textResult([parameterDisplayName(name)], [[value]], 'SHOW');
    }
    case 'TransactionStmt':
      return transaction(body.kind as string, session);
    case 'DiscardStmt':
      session.transaction = 'idle';
      return commandResult('DISCARD ALL');
    case 'DeallocateStmt':
      return commandResult('DEALLOCATE');
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `${kind} is not supported`);
  }
}

function setVariable(body: AstNode, session: Session): QueryResult {
  const name = String(body.name ?? '').toLowerCase();
  switch (body.kind) {
    case 'VAR_SET_VALUE': {
      checkSettable(name);
      const value = ((body.args ?? []) as AstNode[]).map(constantText).join(', ');
      checkParameterValue(name, value);
      session.settings.set(name, value);
      return commandResult('SET');
    }
    case 'VAR_SET_DEFAULT':
    case 'VAR_RESET':
      checkSettable(name);
      // Back to the default: SHOW then answers it from the table of run-time parameters.
      session.settings.delete(name);
      return commandResult(body.kind === 'VAR_RESET' ? 'RESET' : 'SET');
    case 'VAR_RESET_ALL':
      for (const key of [...session.settings.keys()]) {
        if (!RUN_TIME_PARAMETERS.get(key)?.readOnly) session.settings.delete(key);
      }
      return commandResult('RESET');
    default:
      // SET TRANSACTION …, SET SESSION CHARACTERISTICS …: accepted, there is nothing to isolate.
      return commandResult('SET');
  }
}

function transaction(kind: string, session: Session): QueryResult {
  switch (kind) {
    case 'TRANS_STMT_BEGIN':
      session.transaction = 'in transaction';
      return commandResult('BEGIN');
    case 'TRANS_STMT_START':
      session.transaction = 'in transaction';
      return commandResult('START TRANSACTION');
    case 'TRANS_STMT_COMMIT':
      session.transaction = 'idle';
      return commandResult('COMMIT');
    case 'TRANS_STMT_ROLLBACK':
      session.transaction = 'idle';
      return commandResult('ROLLBACK');
    case 'TRANS_STMT_SAVEPOINT':
      return commandResult('SAVEPOINT');
    case 'TRANS_STMT_RELEASE':
      return commandResult('RELEASE');
    case 'TRANS_STMT_ROLLBACK_TO':
      return commandResult('ROLLBACK');
    default:
      throw new SpokeError(ErrorCode.UNSUPPORTED, `${kind.replace('TRANS_STMT_', '')} is not supported`);
  }
}

function constantText(node: AstNode): string {
  const c = node.A_Const ?? node.TypeCast?.arg?.A_Const;
  if (c?.sval) return c.sval.sval ?? '';
  if (c?.ival) return String(c.ival.ival ?? 0);
  if (c?.fval) return c.fval.fval;
  if (c?.boolval) return c.boolval.boolval ? 'on' : 'off';
  if (node.ColumnRef) return node.ColumnRef.fields.map((f: AstNode) => f.String?.sval).join('.');
  return '';
}
