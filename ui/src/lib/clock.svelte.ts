// A coarse reactive "now" for relative times (SLA due, last sync). Ticks while the app runs.
const state = $state({ now: Date.now() });
let timer: ReturnType<typeof setInterval> | undefined;

export const clock = {
  get now(): number {
    return state.now;
  },
  start(everyMs = 15_000): () => void {
    clearInterval(timer);
    state.now = Date.now();
    timer = setInterval(() => (state.now = Date.now()), everyMs);
    return () => clearInterval(timer);
  },
  /** For an immediate refresh after data changed. */
  tick(): void {
    state.now = Date.now();
  },
};
