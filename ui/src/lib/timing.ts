// Small timing helpers with explicit flush/cancel, so callers can save on exit
// and tests can drive them with fake timers.

export interface Scheduled<A extends unknown[]> {
  (...args: A): void;
  /** Runs a pending call now. */
  flush(): void;
  /** Drops a pending call. */
  cancel(): void;
}

/** Calls `fn` once the calls stop for `ms`. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): Scheduled<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  const fire = () => {
    timer = undefined;
    const args = pending;
    pending = undefined;
    if (args) fn(...args);
  };
  return Object.assign(
    (...args: A) => {
      pending = args;
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    },
    {
      flush() {
        clearTimeout(timer);
        fire();
      },
      cancel() {
        clearTimeout(timer);
        timer = undefined;
        pending = undefined;
      },
    },
  );
}

/** Calls `fn` at most once per `ms`, always ending with the latest arguments (leading and trailing). */
export function throttle<A extends unknown[]>(fn: (...args: A) => void, ms: number): Scheduled<A> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pending: A | undefined;
  let last = -Infinity;
  const fire = () => {
    timer = undefined;
    const args = pending;
    pending = undefined;
    if (args) {
      last = Date.now();
      fn(...args);
    }
  };
  return Object.assign(
    (...args: A) => {
      pending = args;
      if (timer) return;
      const wait = Math.max(0, last + ms - Date.now());
      if (wait === 0) fire();
      else timer = setTimeout(fire, wait);
    },
    {
      flush() {
        clearTimeout(timer);
        fire();
      },
      cancel() {
        clearTimeout(timer);
        timer = undefined;
        pending = undefined;
      },
    },
  );
}
