/**
 * One abort listener per caller signal, however many requests run on it.
 *
 * The AWS SDK adds a listener to the signal of every request it sends (two,
 * while the response body is read). A query that fetches a dozen column
 * chunks at once hands the same signal to each fetch, which passes Node's
 * limit of ten listeners and prints `MaxListenersExceededWarning` — and makes
 * a real leak impossible to spot. Each request gets a signal of its own
 * instead, aborted with the caller's reason by the one listener on the
 * caller's signal, which is removed when its last request ends.
 */

interface FanOut {
  readonly requests: Set<AbortController>;
  readonly onAbort: () => void;
}

const fanOuts = new WeakMap<AbortSignal, FanOut>();

/** Runs `request` with a signal of its own that aborts when `signal` does (none when `signal` is absent). */
export async function withRequestSignal<T>(
  signal: AbortSignal | undefined,
  request: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  // Already aborted: the SDK refuses at once, with the caller's signal.
  if (!signal || signal.aborted) return request(signal);
  let fanOut = fanOuts.get(signal);
  if (!fanOut) {
    const requests = new Set<AbortController>();
    const onAbort = () => {
      for (const controller of requests) controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    fanOut = { requests, onAbort };
    fanOuts.set(signal, fanOut);
  }
  const own = new AbortController();
  fanOut.requests.add(own);
  try {
    return await request(own.signal);
  } finally {
    fanOut.requests.delete(own);
    if (fanOut.requests.size === 0 && fanOuts.get(signal) === fanOut) {
      signal.removeEventListener('abort', fanOut.onAbort);
      fanOuts.delete(signal);
    }
  }
}
