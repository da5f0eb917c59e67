import { type ConnectorContext, didYouMean, ErrorCode, SpokeError } from '@spoke/core';

/** The kinds of option value a connector can declare. */
export type OptionType =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'string-map'
  | 'string-array'
  | 'object';

/** One declared option: its type, whether it is required, its default and what it means. */
export interface OptionSpec {
  readonly type: OptionType;
  readonly description: string;
  readonly required?: boolean;
  readonly default?: unknown;
  /** For strings: the allowed values. */
  readonly oneOf?: readonly string[];
}

/** The parsed value's type for one {@link OptionSpec} (`integer` → number, `string-map` → a record…). */
export type OptionValue<S extends OptionSpec> = S['type'] extends 'string'
  ? string
  : S['type'] extends 'integer' | 'number'
    ? number
    : S['type'] extends 'boolean'
      ? boolean
      : S['type'] extends 'string-map'
        ? Record<string, string>
        : S['type'] extends 'string-array'
          ? string[]
          : Record<string, unknown>;

/** The parsed options: required or defaulted keys are present, the others optional. */
export type ParsedOptions<Spec extends Record<string, OptionSpec>> = {
  [K in keyof Spec as Spec[K]['required'] extends true
    ? K
    : Spec[K] extends { default: unknown }
      ? K
      : never]: OptionValue<Spec[K]>;
} & {
  [K in keyof Spec as Spec[K]['required'] extends true
    ? never
    : Spec[K] extends { default: unknown }
      ? never
      : K]?: OptionValue<Spec[K]>;
};

/**
 * Checks a source's options against its declared spec. Errors are
 * `INVALID_CONFIG` and name the key as the user wrote it
 * (`sources.crm.port: expected an integer, got "abc"`); unknown keys are
 * refused with the closest known key suggested.
 */
export function parseOptions<Spec extends Record<string, OptionSpec>>(
  options: Readonly<Record<string, unknown>>,
  spec: Spec,
  context: Pick<ConnectorContext, 'sourceName'>,
): ParsedOptions<Spec> {
  const where = (key: string) => `sources.${context.sourceName}.${key}`;
  const fail = (key: string, message: string) =>
    new SpokeError(ErrorCode.INVALID_CONFIG, `${where(key)}: ${message}`, { source: context.sourceName });
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (key === 'connector') continue;
    if (!(key in spec)) throw fail(key, `unknown option${didYouMean(key, Object.keys(spec))}`);
  }
  for (const [key, s] of Object.entries(spec)) {
    const value = options[key];
    if (value === undefined || value === null) {
      if (s.required) throw fail(key, `is required (${s.description})`);
      if (s.default !== undefined) out[key] = s.default;
      continue;
    }
    out[key] = coerce(value, s, (message) => fail(key, message));
  }
  return out as ParsedOptions<Spec>;
}

function coerce(value: unknown, spec: OptionSpec, fail: (message: string) => Error): unknown {
  const got = () => (typeof value === 'string' ? `"${value}"` : JSON.stringify(value));
  switch (spec.type) {
    case 'string': {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw fail(`expected a string, got ${got()}`);
      const s = String(value);
      if (spec.oneOf && !spec.oneOf.includes(s))
        throw fail(`expected one of ${spec.oneOf.join(', ')}, got ${got()}`);
      return s;
    }
    case 'integer':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n)))
        throw fail(`expected ${spec.type === 'integer' ? 'an integer' : 'a number'}, got ${got()}`);
      return n;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw fail(`expected true or false, got ${got()}`);
    case 'string-map': {
      if (typeof value !== 'object' || Array.isArray(value))
        throw fail(`expected a map of names to strings, got ${got()}`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw fail(`.${k}: expected a string, got ${JSON.stringify(v)}`);
        out[k] = v;
      }
      return out;
    }
    case 'string-array':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        throw fail(`expected a list of strings, got ${got()}`);
      return [...value];
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) throw fail(`expected a map, got ${got()}`);
      return value;
  }
}
