/** Who is asking, passed to every scan so sources can log, audit and enforce it. */
export interface QueryContext {
  /** Unique id of the query; appears in logs, audit records and (where the source allows) its query tag. */
  readonly queryId: string;
  /** The authenticated user, when there is one. */
  readonly user?: string;
  /** The user's roles. */
  readonly roles: readonly string[];
  /** Attributes of the user (region, tenant…) that row filters may refer to. */
  readonly attributes?: Readonly<Record<string, string>>;
  /**
   * Whether the client reached the gateway over an encrypted connection
   * (TLS on the Postgres wire, HTTPS, `grpc+tls`). Absent when no network is
   * involved (an in-process engine, the CLI). `require_tls` policies refuse
   * their tables when it is `false`.
   */
  readonly secureTransport?: boolean;
}
