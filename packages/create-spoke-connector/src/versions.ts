/**
 * The versions a scaffolded connector is written with. `create-spoke-connector`
 * is released with `@spoke/core`, `@spoke/sdk` and `@spoke/testing`, and a test
 * checks these against the packages in the same repository.
 */
export const VERSIONS = {
  /** The range of `@spoke/core` (peer), `@spoke/sdk` and `@spoke/testing`. */
  spoke: '^0.1.0',
  /** The connector contract's version (`SPECIFICATION_VERSION` of that `@spoke/core`). */
  specificationVersion: 'v1',
  /** `@duckdb/node-api`, the `sql` kind's example engine (as `@spoke/duckdb-arrow` uses it). */
  duckdb: '1.5.6-r.1',
  typescript: '5.9.3',
  tsx: '^4.20.0',
  typesNode: '^20.19.0',
} as const;
