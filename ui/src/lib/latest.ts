// Search-as-you-type fires a request per keystroke; replies can arrive out of order.
// `latestOnly` wraps an async function so that only the newest call's outcome is
// delivered: an earlier, slower reply comes back as `{ stale: true }` and is dropped.

export type Outcome<T> =
  | { stale: false; ok: true; value: T }
  | { stale: false; ok: false; error: unknown }
  | { stale: true };

export interface LatestOnly<A extends unknown[], T> {
  (...args: A): Promise<Outcome<T>>;
  /** Makes every call still in flight stale (e.g. the input was cleared). */
  cancel(): void;
}

export function latestOnly<A extends unknown[], T>(fn: (...args: A) => Promise<T>): LatestOnly<A, T> {
  let newest = 0;
  const run = async (...args: A): Promise<Outcome<T>> => {
    const ticket = ++newest;
    try {
      const value = await fn(...args);
      return ticket === newest ? { stale: false, ok: true, value } : { stale: true };
    } catch (error) {
      return ticket === newest ? { stale: false, ok: false, error } : { stale: true };
    }
  };
  return Object.assign(run, {
    cancel() {
      newest++;
    },
  });
}
