import { ErrorCode, SpokeError } from '@spoke/core';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` in every string of a parsed config tree with the
 * environment variable's value, so secrets stay out of the file.
 *
 * `${NAME:-fallback}` uses `fallback` when the variable is unset or empty;
 * `$$` is a literal `$`. Interpolation runs on the parsed tree rather than on
 * the file's text so that a value can never change the YAML's structure, and
 * so that an error can name the key (`sources.pg.password: environment
 * variable PG_PASSWORD is not set`).
 *
 * @param value - a tree of plain values as `yaml` parses it
 * @param env - the variables (normally `process.env`)
 * @param path - the key path of `value`, used in errors
 */
export function interpolateEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path = '',
): unknown {
  if (typeof value === 'string') return interpolateString(value, env, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = interpolateEnv(item, env, path === '' ? key : `${path}.${key}`);
    return out;
  }
  return value;
}

function interpolateString(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  path: string,
): string {
  if (!text.includes('$')) return text;
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const found = env[name as string];
    if (found !== undefined && !(fallback !== undefined && found === '')) return found;
    if (fallback !== undefined) return fallback;
    throw new SpokeError(
      ErrorCode.INVALID_CONFIG,
      `${path || '(root)'}: environment variable ${name} is not set (referenced as \${${name}})`,
      { details: { key: path, variable: name } },
    );
  });
}
