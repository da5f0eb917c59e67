/**
 * A proxy over `target` with some members replaced. Methods are bound to
 * the target, so classes with private fields keep working behind it (the
 * source meter and the access-event tap wrap connectors this way).
 */
export function delegate<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string' && Object.hasOwn(overrides, key)) return overrides[key];
      const value = Reflect.get(t, key, t);
      return typeof value === 'function' ? value.bind(t) : value;
    },
  });
}
