/**
 * A small map of promises that expire: catalog answers (a table's columns,
 * a statement's row description) that cost a round trip to the source and
 * change rarely. The promise itself is kept, so concurrent callers share
 * one request; a rejected promise is dropped at once, so failures are
 * never remembered.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { readonly value: Promise<V>; readonly expires: number }>();

  /**
   * @param ttlMs - how long an entry is served, in milliseconds; read at each
   *   lookup (so a subclass may set it after construction). 0 turns caching off.
   * @param maxEntries - the oldest entries are dropped beyond this many.
   */
  constructor(
    readonly ttlMs: () => number,
    readonly maxEntries = 1000,
  ) {}

  /**
   * The cached value for `key`, or `load()`'s (cached when `keep` accepts
   * it: `undefined` answers such as "no such table" usually should not be).
   */
  get(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const ttl = this.ttlMs();
    if (ttl <= 0) return load();
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = load();
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: now + ttl });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    value.then(
      (v) => {
        if (!keep(v)) this.#forget(key, value);
      },
      () => this.#forget(key, value),
    );
    return value;
  }

  /** Drops `key`, or every entry. */
  delete(key?: string): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  #forget(key: string, value: Promise<V>): void {
    if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
  }
}
