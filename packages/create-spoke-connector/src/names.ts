/** The names a scaffolded connector is written with. */
export interface ConnectorNames {
  /** The short name: `connector.name`, the gateway's `connector:` value (`my-source`). */
  readonly name: string;
  /** The npm package name (`spoke-connector-my-source`, or `@spoke/connector-my-source` in the monorepo). */
  readonly packageName: string;
  /** PascalCase of the short name, for classes (`MySource`). */
  readonly className: string;
}

const SHORT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/**
 * The short name a folder's name implies: `spoke-connector-x`,
 * `connector-x` and `x` all mean `x`.
 */
export function shortNameFromFolder(folder: string): string {
  return folder
    .toLowerCase()
    .replace(/^spoke-connector-/, '')
    .replace(/^connector-/, '');
}

/**
 * Checks and completes the names. The short name is lower-case words joined
 * by `-`; the package name defaults to `spoke-connector-NAME`, which the
 * gateway finds from `connector: NAME`.
 *
 * @throws Error naming the bad value and the rule it breaks.
 */
export function connectorNames(name: string, packageName?: string): ConnectorNames {
  if (!SHORT_NAME.test(name))
    throw new Error(
      `connector name "${name}" must be lower-case letters and digits in words joined by "-", starting with a letter (e.g. my-source)`,
    );
  const pkg = packageName ?? `spoke-connector-${name}`;
  if (!PACKAGE_NAME.test(pkg) || pkg.length > 214)
    throw new Error(`package name "${pkg}" is not a valid npm package name`);
  const className = name
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return { name, packageName: pkg, className };
}
