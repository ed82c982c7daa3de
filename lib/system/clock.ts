/**
 * Time as an injected collaborator, so tests can drive the shell with a clock
 * of their own instead of stubbing globals.
 *
 * @module
 */

/** Wall-clock time, monotonic time and cancellable sleeping. */
export interface Clock {
  /** Wall-clock time in milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin; never jumps. */
  monotonic(): number;
  /**
   * Resolves after `ms` milliseconds, or rejects with the signal's reason
   * once `signal` aborts.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock: `Date.now()`, `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  },
};

/**
 * An AbortSignal that aborts after `ms` on `clock`, or when `parent` aborts.
 * Dispose the result to cancel the timer.
 *
 * @param clock The clock that measures the delay.
 * @param ms Delay in milliseconds.
 * @param parent Optional signal whose abort is passed on.
 * @returns The signal and a disposer that stops the timer.
 */
export function deadline(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
): { signal: AbortSignal; [Symbol.dispose](): void } {
  const controller = new AbortController();
  const stop = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  parent?.addEventListener("abort", onParentAbort, { once: true });
  clock.sleep(ms, stop.signal).then(
    () => controller.abort(new DOMException("Timed out", "TimeoutError")),
    () => {/* stopped on purpose: the work finished first */},
  );
  return {
    signal: controller.signal,
    [Symbol.dispose]() {
      stop.abort();
      parent?.removeEventListener("abort", onParentAbort);
    },
  };
}
