/**
 * `{ ...base, ...extra }`, made so that V8 shares one hidden class among the
 * results.
 *
 * An object spread whose copy then gets a property its source lacks
 * (`{ ...result, queryId }`, `{ ...a, ...b }`) makes a new hidden class
 * ("map") every time it runs: the copy's map stands outside V8's transition
 * tree, so the added property's map is never found there and is made anew,
 * in the old generation. On a per-query path that was a new map, and
 * old-generation garbage, per query. `Object.assign` onto a fresh literal
 * adds the properties through the tree, and the results share their maps.
 * (Overriding properties the source already has, `{ ...result, batches }`,
 * is fine.)
 */
export function withFields<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U;
export function withFields<T extends object, U extends object, V extends object>(
  base: T,
  extra: U,
  more: V,
): Omit<T, keyof U | keyof V> & Omit<U, keyof V> & V;
export function withFields(base: object, ...extra: object[]): object {
  return Object.assign({}, base, ...extra);
}
