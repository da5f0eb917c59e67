/**
 * A failed login as the client sees it — one text per protocol, whatever the
 * reason — and as the operator sees it: the real reason, for the log and the
 * audit only. A client that could tell an unknown user from a wrong password,
 * a TLS-only user from a missing one, or a throttled attempt from a checked
 * one would have an oracle for which accounts exist.
 */
import { ErrorCode, SpokeError } from '@spoke/core';
import type { ClientInfo, QueryService } from '../service/query-service.js';

/** What HTTP and Flight answer for every failed login. */
export const LOGIN_FAILED_MESSAGE =
  'authentication failed: wrong credentials, or too many failed attempts (wait, then retry)';

/** What the Postgres wire answers for every failed login: PostgreSQL's own text (SQLSTATE {@link LOGIN_FAILED_SQLSTATE}). */
export function wireLoginFailedMessage(user: string): string {
  return `password authentication failed for user "${user}"`;
}

/** invalid_password, as PostgreSQL sends for every failed password or SCRAM login. */
export const LOGIN_FAILED_SQLSTATE = '28P01';

/** The front ends that log clients in. */
export type LoginProtocol = 'postgres' | 'http' | 'flight';

/**
 * UNAUTHENTICATED with the protocol's uniform message. The real reason is
 * kept apart ({@link LoginFailure.reason}) and never reaches the client:
 * front ends send only `message`.
 */
export class LoginFailure extends SpokeError {
  readonly #reason: string;

  constructor(
    readonly protocol: LoginProtocol,
    /** The user the client named, when it named one (not for API keys and JWTs). */
    readonly user: string | undefined,
    reason: string,
    /** Refused by failed-login throttling, without checking the credentials. */
    readonly throttled = false,
  ) {
    super(
      ErrorCode.UNAUTHENTICATED,
      protocol === 'postgres' ? wireLoginFailedMessage(user ?? '') : LOGIN_FAILED_MESSAGE,
    );
    this.#reason = reason;
  }

  /** Why the login failed, for the operator (log and audit), never for the client. */
  get reason(): string {
    return this.#reason;
  }

  /**
   * Audits the failure with its real reason, logs it and counts it
   * (`spoke_authentication_failures_total`, and `spoke_login_throttled_total`
   * when throttled).
   */
  report(service: Pick<QueryService, 'refuse' | 'metrics'>, client: ClientInfo): void {
    const principal = { ...client.principal, roles: [], ...(this.user ? { user: this.user } : {}) };
    service.refuse(
      { ...client, principal },
      '',
      new SpokeError(ErrorCode.UNAUTHENTICATED, `login failed: ${this.#reason}`),
    );
    if (this.throttled) service.metrics.loginThrottled.inc({ protocol: client.protocol });
  }
}
