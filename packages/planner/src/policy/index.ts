/**
 * Security policies (issue 7): deny, aggregate_only, mask, row_filter,
 * read_only / append_only, never_upload — declared in YAML, applied by the
 * planner to every SELECT before push-down.
 */
export { checkWrite } from './check-write.js';
export { filterCatalog } from './filter-catalog.js';
export {
  DEFAULT_KEEP_LAST,
  DEFAULT_MIN_GROUP_SIZE,
  type PolicyConfigEntry,
  parsePolicyConfig,
} from './policy-config.js';
export {
  appliesTo,
  type MaskKind,
  matchPath,
  type PathMatch,
  type PolicyRule,
  type RuleKind,
  type TableRef,
} from './policy-rule.js';
export { EMAIL_MASK, REDACTED } from './policy-sql.js';
export { redactErrorValues, redactQuoted } from './redact-error.js';
export { createSecurityPolicy, SecurityPolicy } from './security-policy.js';
export { type ColumnEffect, maskFor, type TableRules } from './table-rules.js';
