/**
 * Client-side pacing of one channel's requests: a sliding window per rate
 * limit the channel kind declares, plus what the receiver's rate-limit
 * headers said. Pure: time is a parameter (monotonic ms).
 *
 * @module
 * @pure
 */

/** At most `requests` requests in any `perMs` milliseconds. */
export interface RateLimit {
  /** Requests allowed in the window. */
  requests: number;
  /** Length of the window, ms. */
  perMs: number;
}

/** What a receiver's rate-limit headers said about the next request. */
export interface RateLimitHint {
  /** Requests left in the current window (`X-RateLimit-Remaining`). */
  remaining: number;
  /** Time until the window resets, ms (`X-RateLimit-Reset-After`). */
  resetAfterMs: number;
}

/** A channel's recent requests. */
export interface Pace {
  /** When recent requests ended, monotonic ms, oldest first. */
  doneMs: readonly number[];
  /** No request before this time (the receiver said so), monotonic ms. */
  blockedUntilMs: number;
}

/** The pace of a channel that has sent nothing. */
export const FRESH_PACE: Pace = { doneMs: [], blockedUntilMs: 0 };

/**
 * The longest wait a receiver's headers may impose, ms: a bogus
 * `X-RateLimit-Reset-After` must not silence a channel.
 */
export const MAX_HINT_WAIT_MS = 60_000;

/** Where a channel stands against its rate limits at one moment. */
export interface PaceQuery {
  /** The kind's rate limits; none means no wait but the receiver's. */
  limits: readonly RateLimit[];
  /** Monotonic time, ms. */
  nowMs: number;
}

/**
 * How long the next request must wait.
 *
 * @param pace The channel's recent requests.
 * @param query The limits and the time.
 * @returns Milliseconds to wait, 0 to send now.
 */
export function paceDelayMs(pace: Pace, query: PaceQuery): number {
  let untilMs = pace.blockedUntilMs;
  for (const limit of query.limits) {
    const oldest = pace.doneMs.at(-limit.requests);
    if (pace.doneMs.length >= limit.requests && oldest !== undefined) {
      untilMs = Math.max(untilMs, oldest + limit.perMs);
    }
  }
  return Math.max(0, untilMs - query.nowMs);
}

/** A request that ended, for {@linkcode paceRecord}. */
export interface PaceEvent extends PaceQuery {
  /** What the answer's rate-limit headers said, if anything. */
  hint?: RateLimitHint | undefined;
  /** The longest wait a hint may impose, ms. @default MAX_HINT_WAIT_MS */
  maxHintMs?: number;
}

/**
 * The pace after a request ended. The end (not the start) is recorded: the
 * receiver counted the request at some moment before it, so a window
 * measured from ends is never shorter at the receiver than here.
 *
 * @param pace The pace before.
 * @param event The limits, when the request ended (`nowMs`) and the hint.
 * @returns The new pace.
 */
export function paceRecord(pace: Pace, event: PaceEvent): Pace {
  const { limits, nowMs, hint } = event;
  const keep = Math.max(0, ...limits.map((limit) => limit.requests));
  const doneMs = keep === 0 ? [] : [...pace.doneMs, nowMs].slice(-keep);
  const maxHintMs = event.maxHintMs ?? MAX_HINT_WAIT_MS;
  const blockedUntilMs = hint !== undefined && hint.remaining <= 0
    ? Math.max(
      pace.blockedUntilMs,
      nowMs + Math.min(Math.max(0, hint.resetAfterMs), maxHintMs),
    )
    : pace.blockedUntilMs;
  return { doneMs, blockedUntilMs };
}

/**
 * Reads the rate-limit headers Discord documents (`X-RateLimit-Remaining`,
 * `X-RateLimit-Reset-After` in seconds, decimals allowed).
 *
 * @param header The answer's header by lower-case name, null when absent.
 * @returns The hint, or undefined when either header is missing or not a number.
 */
export function rateLimitHint(
  header: (name: string) => string | null,
): RateLimitHint | undefined {
  const remaining = numberOf(header("x-ratelimit-remaining"));
  const resetAfter = numberOf(header("x-ratelimit-reset-after"));
  if (remaining === undefined || resetAfter === undefined) return undefined;
  return { remaining, resetAfterMs: Math.ceil(resetAfter * 1000) };
}

function numberOf(text: string | null): number | undefined {
  if (text === null || text.trim() === "") return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
