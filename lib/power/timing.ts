/**
 * How long the loop's own work takes, for `status --json` (and later the
 * metrics): the poll on the wire, the time from the reply to the decision
 * and how late each poll started against `ups.check_interval`, over the
 * last polls. Pure.
 *
 * @pure
 * @module
 */

/** How many polls the summary covers. */
export const TIMING_WINDOW = 60;

/** One poll's timings, ms. */
export interface PollTiming {
  /** From the request to the reply (or the failure). */
  readonly pollMs: number;
  /** From the reply to the decision: the power core's step and the events. */
  readonly decideMs: number;
  /**
   * Start of this poll minus the start of the previous one minus
   * `ups.check_interval`: how late the poll came (negative when early);
   * null for a loop's first poll.
   */
  readonly jitterMs: number | null;
}

/** Median and maximum of one measure, ms, rounded to µs. */
export interface TimingStats {
  readonly median: number;
  readonly max: number;
}

/** What the state file says about the loop's timings. */
export interface TimingSummary {
  /** Polls the figures cover. */
  readonly polls: number;
  readonly "poll_ms": TimingStats;
  readonly "decide_ms": TimingStats;
  /** Poll start jitter; null until two polls (or from an older daemon). */
  readonly "jitter_ms": TimingStats | null;
}

/**
 * Adds a poll's timings, keeping the last {@linkcode TIMING_WINDOW}.
 *
 * @param window The timings so far, oldest first.
 * @param sample This poll's.
 * @returns The new window.
 */
export function addTiming(
  window: readonly PollTiming[],
  sample: PollTiming,
): PollTiming[] {
  return [...window.slice(-(TIMING_WINDOW - 1)), sample];
}

/**
 * Summarises a window.
 *
 * @param window The timings, oldest first.
 * @returns Median and maximum of each measure; null when empty.
 */
export function summarizeTiming(
  window: readonly PollTiming[],
): TimingSummary | null {
  if (window.length === 0) return null;
  const jitters: number[] = [];
  for (const { jitterMs } of window) {
    if (jitterMs !== null) jitters.push(jitterMs);
  }
  return {
    polls: window.length,
    "poll_ms": stats(window.map((t) => t.pollMs)),
    "decide_ms": stats(window.map((t) => t.decideMs)),
    "jitter_ms": jitters.length === 0 ? null : stats(jitters),
  };
}

/**
 * How late a poll started: the time since the previous poll's start less
 * the interval the loop meant to keep.
 *
 * @param startMs This poll's start, monotonic ms.
 * @param previousStartMs The previous poll's start; null for the first.
 * @param intervalMs `ups.check_interval`, ms.
 * @returns The jitter, ms; null for the first poll.
 */
export function pollJitter(
  startMs: number,
  previousStartMs: number | null,
  intervalMs: number,
): number | null {
  return previousStartMs === null
    ? null
    : startMs - previousStartMs - intervalMs;
}

function stats(values: number[]): TimingStats {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: micro(median), max: micro(sorted.at(-1)!) };
}

function micro(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * The timings of a parsed state file, if it holds a valid summary. A file
 * of a daemon from before the jitter was recorded reads `jitter_ms: null`.
 *
 * @param stateFile The parsed state file, whatever it holds.
 * @returns The summary, or null.
 */
export function timingOf(stateFile: unknown): TimingSummary | null {
  const timing = (stateFile as { timing?: unknown } | null)?.timing;
  const valid = (v: unknown): v is TimingStats =>
    typeof v === "object" && v !== null &&
    Number.isFinite((v as TimingStats).median) &&
    Number.isFinite((v as TimingStats).max);
  if (typeof timing !== "object" || timing === null) return null;
  const t = timing as Record<string, unknown>;
  const jitter = t["jitter_ms"] ?? null;
  if (
    !Number.isInteger(t["polls"]) || !valid(t["poll_ms"]) ||
    !valid(t["decide_ms"]) || (jitter !== null && !valid(jitter))
  ) {
    return null;
  }
  return {
    polls: t["polls"] as number,
    "poll_ms": t["poll_ms"],
    "decide_ms": t["decide_ms"],
    "jitter_ms": jitter,
  };
}
