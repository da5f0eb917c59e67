/**
 * A proxy over `target` with some members replaced. Methods are bound to
 * the target, so classes with private fields keep working behind it (the
 * source meter and the access-event tap wrap connectors this way).
 */
export function delegate<T extends object>(target: T, overrides: Record<string, unknown>): T {
  // Bound methods are made once per method, not at every access (several per query on the hot path).
  const bound = new Map<PropertyKey, { readonly method: unknown; readonly bound: unknown }>();
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string' && Object.hasOwn(overrides, key)) return overrides[key];
      const value = Reflect.get(t, key, t);
      if (typeof value !== 'function') return value;
      const known = bound.get(key);
      if (known?.method === value) return known.bound;
      const fresh: unknown = value.bind(t);
      bound.set(key, { method: value, bound: fresh });
      return fresh;
    },
  });
}
