/**
 * The Flight server's password and bearer checks, as the gateway runs them:
 * through the shared {@link Authenticator} (uniform failures, throttling by
 * the client's address), with every failure audited, logged and counted by
 * the query service like the other front ends' failures.
 */
import { ANONYMOUS, type Authenticator } from '../auth/authenticator.js';
import { LoginFailure } from '../auth/login-failure.js';
import type { QueryService } from '../service/query-service.js';
import type { VerifyBearer, VerifyPassword } from './flight-auth.js';

/** What `startFlightServer` takes to check callers, built on the gateway's authenticator. */
export function flightLogin(
  auth: Authenticator,
  service: Pick<QueryService, 'refuse' | 'metrics'>,
): { readonly verifyPassword: VerifyPassword; readonly verifyBearer: VerifyBearer } {
  const reported = async <T>(peer: string | undefined, check: () => Promise<T>): Promise<T> => {
    try {
      return await check();
    } catch (error) {
      if (error instanceof LoginFailure)
        error.report(service, {
          protocol: 'flight',
          principal: ANONYMOUS,
          ...(peer && peer !== 'unknown' ? { address: peer } : {}),
        });
      throw error;
    }
  };
  const client = (peer: string | undefined) => ({
    protocol: 'flight' as const,
    ...(peer ? { address: peer } : {}),
  });
  return {
    verifyPassword: (user, password, peer) => reported(peer, () => auth.login(user, password, client(peer))),
    verifyBearer: (token, peer) => reported(peer, () => auth.loginBearer(token, client(peer))),
  };
}
