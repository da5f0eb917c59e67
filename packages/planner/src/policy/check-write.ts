/**
 * Which writes the policies allow. Spoke runs only SELECT today; this is the
 * check the write paths (Lance `INSERT … SELECT`, CREATE TABLE AS, the
 * gravity planner moving data) call before they start:
 * - `read_only` on the target: no write at all;
 * - `append_only` on the target: INSERT, and CREATE of a new table, only;
 * - `never_upload` on a table read: its rows may not be written to another source;
 * - `deny` on the target: it does not exist for the caller.
 */
import { ErrorCode, type QueryContext, SpokeError } from '@spoke/core';
import type { WriteKind } from '../policy-hook.js';
import type { TableRef } from './policy-rule.js';
import type { SecurityPolicy } from './security-policy.js';

/**
 * Throws `POLICY_DENIED` (naming the rule) when `context` may not perform a
 * `kind` write into `target` reading `sourcesRead`, or `TABLE_NOT_FOUND`
 * when the target is denied to them. Returns the rules that allowed it with
 * a restriction (for the audit log).
 */
export function checkWrite(
  kind: WriteKind,
  target: TableRef,
  sourcesRead: readonly TableRef[],
  policy: SecurityPolicy | undefined,
  context: Pick<QueryContext, 'roles' | 'secureTransport'>,
): { readonly appliedRules: readonly string[] } {
  if (!policy) return { appliedRules: [] };
  const name = [target.source, target.schema, target.table].filter(Boolean).join('.');
  const rules = policy.tableRules(target, context);
  // CREATE of a name a deny covers is refused by the rule, whether or not such a table exists: no existence oracle.
  if (rules.denied && kind === 'create')
    throw new SpokeError(
      ErrorCode.POLICY_DENIED,
      `${name} may not be created: the name is covered by rule ${rules.denied.name}`,
    );
  if (rules.denied)
    throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `table "${name}" does not exist`, {
      source: target.source,
    });
  const applied: string[] = [];
  const tls = rules.requireTls[0];
  if (tls && context.secureTransport === false)
    throw new SpokeError(
      ErrorCode.POLICY_DENIED,
      `${name} is written only over an encrypted connection: connect with TLS (sslmode=require, https, grpc+tls) (rule ${tls.name})`,
    );
  if (tls) applied.push(tls.name);
  const readOnly = rules.readOnly[0];
  if (readOnly)
    throw new SpokeError(
      ErrorCode.POLICY_DENIED,
      `${name} is read-only: ${kind.toUpperCase()} is not allowed (rule ${readOnly.name})`,
    );
  const appendOnly = rules.appendOnly[0];
  if (appendOnly) {
    if (kind !== 'insert' && kind !== 'create') {
      throw new SpokeError(
        ErrorCode.POLICY_DENIED,
        `${name} is append-only: ${kind.toUpperCase()} is not allowed (rule ${appendOnly.name})`,
      );
    }
    applied.push(appendOnly.name);
  }
  for (const read of sourcesRead) {
    const readRules = policy.tableRules(read, context);
    const readName = [read.source, read.schema, read.table].filter(Boolean).join('.');
    if (readRules.denied)
      throw new SpokeError(ErrorCode.TABLE_NOT_FOUND, `table "${readName}" does not exist`, {
        source: read.source,
      });
    const neverUpload = readRules.neverUpload[0];
    if (neverUpload && read.source.toLowerCase() !== target.source.toLowerCase()) {
      throw new SpokeError(
        ErrorCode.POLICY_DENIED,
        `rows of ${readName} may not be written to another system (${target.source}) (rule ${neverUpload.name})`,
      );
    }
    if (neverUpload) applied.push(neverUpload.name);
  }
  return { appliedRules: [...new Set(applied)] };
}
