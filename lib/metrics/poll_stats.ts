/**
 * Counters of the poll loop for `/metrics`: the poll duration histogram and
 * the failed polls by kind. Kept for the daemon's whole life (a reload does
 * not reset them). Recording a poll allocates nothing: fixed buckets in a
 * typed array, one counter per failure kind. Pure.
 *
 * @pure
 * @module
 */
import type { PollFailureKind } from "../power/reading.ts";

/**
 * Upper bounds of the poll duration buckets, s: a poll on loopback takes
 * well under a millisecond, a silent upsd up to `ups.reply_timeout`.
 */
export const POLL_BUCKETS_S: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Every kind of failed poll, in the order `/metrics` lists them. */
export const POLL_FAILURE_KINDS = [
  "refused",
  "closed",
  "timeout",
  "data_stale",
  "driver_not_connected",
  "wait",
  "no_status",
  "no_battery_data",
  "error",
] as const satisfies readonly PollFailureKind[];

// A kind added to PollFailureKind but not listed above fails to type-check.
const _EVERY_KIND: Record<
  Exclude<PollFailureKind, typeof POLL_FAILURE_KINDS[number]>,
  never
> = {};

/** The poll loop's counters. */
export class PollStats {
  /** Polls per bucket of {@linkcode POLL_BUCKETS_S}, the last above them. */
  readonly buckets: Float64Array = new Float64Array(POLL_BUCKETS_S.length + 1);
  /** Sum of the poll durations, s. */
  sumS = 0;
  /** Polls recorded. */
  count = 0;
  /** Failed polls by kind. */
  readonly failures: Record<PollFailureKind, number> = {
    refused: 0,
    closed: 0,
    timeout: 0,
    "data_stale": 0,
    "driver_not_connected": 0,
    wait: 0,
    "no_status": 0,
    "no_battery_data": 0,
    error: 0,
  };

  /**
   * Records one poll.
   *
   * @param pollMs From the request to the reply or the failure, ms.
   * @param failure Why it gave no valid reading; null when it did.
   */
  record(pollMs: number, failure: PollFailureKind | null): void {
    const seconds = Math.max(0, pollMs) / 1000;
    let i = 0;
    while (i < POLL_BUCKETS_S.length && seconds > POLL_BUCKETS_S[i]!) i++;
    this.buckets[i]!++;
    this.sumS += seconds;
    this.count++;
    if (failure !== null) this.failures[failure]++;
  }
}
