/**
 * What one user may see of the access events. An admin (or anyone, with
 * authentication off) sees every event. Anyone else sees their own queries'
 * events, and other users' events only on tables they may see themselves —
 * without the other user's name, query id or error text (a message can quote
 * a literal of someone else's statement). Events carry no row values at all,
 * so a masked column's values cannot appear in any of them.
 */
import type { Principal } from '../auth/authenticator.js';
import { ADMIN_ROLE } from '../service/query-service.js';
import type { AccessEvent } from './access-event.js';

/** Whether `principal` sees everything: authentication off, or the admin role. */
export function seesEverything(principal: Principal): boolean {
  return principal.method === 'none' || principal.roles.includes(ADMIN_ROLE);
}

/**
 * The event as `principal` may see it, or undefined.
 *
 * @param visibleTables - `source.schema.table` names the user's catalog holds (security policies applied)
 */
export function eventFor(
  principal: Principal,
  visibleTables: ReadonlySet<string>,
  event: AccessEvent,
): AccessEvent | undefined {
  if (seesEverything(principal)) return event;
  const own = principal.user !== undefined && event.user === principal.user;
  const tablesVisible =
    event.tables.length > 0 && event.tables.every((t) => visibleTables.has(`${event.source}.${t}`));
  if (!tablesVisible) return own ? { ...event, tables: [], table: null } : undefined;
  if (own) return event;
  return { ...event, user: null, queryId: null, error: null };
}
