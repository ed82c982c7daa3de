/**
 * A clock that moves only when the test says so: `advance(ms)` wakes the
 * sleeps that fall due, one at a time and in order, letting the woken code
 * run before the next one. For code that takes a {@linkcode Clock}; real I/O
 * in the same test keeps real time (give it `systemClock` or let it
 * finish before advancing). Test support only.
 *
 * @module
 */
import type { Clock } from "../system/clock.ts";

/** Options of {@linkcode FakeClock}. */
export interface FakeClockOptions {
  /** Wall-clock start, ms since the epoch. @default 1_700_000_000_000 */
  nowMs?: number;
  /** Monotonic start, ms. @default 0 */
  monotonicMs?: number;
}

interface PendingSleep {
  dueMs: number;
  requestedMs: number;
  order: number;
  wake(): void;
}

interface SleepWaiter {
  met(sleeps: readonly PendingSleep[]): boolean;
  resolve(): void;
}

/** A {@linkcode Clock} driven by the test. */
export class FakeClock implements Clock {
  #wallOffsetMs: number;
  #monotonicMs: number;
  #sleeps: PendingSleep[] = [];
  #waiters: SleepWaiter[] = [];
  #order = 0;

  /** @param options Where both clocks start. */
  constructor(options: FakeClockOptions = {}) {
    this.#monotonicMs = options.monotonicMs ?? 0;
    this.#wallOffsetMs = (options.nowMs ?? 1_700_000_000_000) -
      this.#monotonicMs;
  }

  now(): number {
    return this.#wallOffsetMs + this.#monotonicMs;
  }

  monotonic(): number {
    return this.#monotonicMs;
  }

  /** A sleep of 0 ms or less resolves at once; others wait for `advance()`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#sleeps = this.#sleeps.filter((sleep) => sleep !== pending);
        reject(signal?.reason);
      };
      const pending: PendingSleep = {
        dueMs: this.#monotonicMs + ms,
        requestedMs: ms,
        order: this.#order++,
        wake() {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#sleeps.push(pending);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#notifyWaiters();
    });
  }

  /** Milliseconds left of each pending sleep, soonest first. */
  get pending(): number[] {
    return this.#sorted().map((sleep) => sleep.dueMs - this.#monotonicMs);
  }

  /**
   * Resolves once a sleep is pending: the code under test is waiting on this
   * clock. With `requestedMs`, once a sleep asked for exactly that long is.
   *
   * @param requestedMs The duration the awaited sleep asked for.
   * @returns A promise that resolves when such a sleep is pending.
   */
  whenSleeping(requestedMs?: number): Promise<void> {
    return this.#when((sleeps) =>
      sleeps.some((sleep) =>
        requestedMs === undefined || sleep.requestedMs === requestedMs
      )
    );
  }

  /**
   * Resolves once at least `count` sleeps are pending at the same time.
   *
   * @param count How many.
   * @returns A promise that resolves when that many are pending.
   */
  whenPending(count: number): Promise<void> {
    return this.#when((sleeps) => sleeps.length >= count);
  }

  /**
   * Moves both clocks forward by `ms`, waking every sleep that falls due on
   * the way in order of due time; after each wake the woken code runs until
   * it waits on something, so a sleep it starts within the span wakes too.
   *
   * @param ms Milliseconds to move forward, at least 0.
   * @throws {RangeError} When `ms` is negative.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`Cannot move a clock back: "${ms}" ms`);
    const targetMs = this.#monotonicMs + ms;
    for (;;) {
      const [next] = this.#sorted();
      if (next === undefined || next.dueMs > targetMs) break;
      this.#sleeps = this.#sleeps.filter((sleep) => sleep !== next);
      this.#monotonicMs = next.dueMs;
      next.wake();
      await settle();
    }
    this.#monotonicMs = targetMs;
  }

  /**
   * Moves forward to the soonest pending sleep and wakes it (and any other
   * due at the same time).
   *
   * @returns Whether a sleep was pending.
   */
  async tick(): Promise<boolean> {
    const [next] = this.#sorted();
    if (next === undefined) return false;
    await this.advance(next.dueMs - this.#monotonicMs);
    return true;
  }

  /**
   * Awaits `work`, moving forward to each sleep as soon as one is pending,
   * so every wait on this clock takes no real time. Only for code whose
   * sleeps on this clock are all waits: a timeout racing real I/O on the
   * same clock would fire at once.
   *
   * @param work The operation under test, already started.
   * @returns What `work` resolves to.
   */
  async drive<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const done = work.then(
      () => settled = true,
      () => settled = true,
    );
    while (!settled) {
      await Promise.race([this.whenSleeping(), done]);
      if (!settled) await this.tick();
    }
    return await work;
  }

  #sorted(): PendingSleep[] {
    return [...this.#sleeps].sort((a, b) =>
      a.dueMs - b.dueMs || a.order - b.order
    );
  }

  #when(met: (sleeps: readonly PendingSleep[]) => boolean): Promise<void> {
    if (met(this.#sleeps)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ met, resolve }));
  }

  #notifyWaiters(): void {
    this.#waiters = this.#waiters.filter((waiter) => {
      const met = waiter.met(this.#sleeps);
      if (met) waiter.resolve();
      return !met;
    });
  }
}

/** Lets pending promise callbacks and ready I/O callbacks run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
