/**
 * Readiness over time: folds each round of check results into the state
 * (per check: ready or not, why, since when) and yields a change only when a
 * check flips between ready and not ready, or is seen for the first time not
 * ready, so a broken path is reported once, not every interval. Pure.
 *
 * @pure
 * @module
 */
import type { CheckResult } from "./check.ts";

/** The state of one check. */
export interface CheckState {
  /** Human name. */
  readonly title: string;
  /** Ready at the last round. */
  readonly ready: boolean;
  /** What the last round said. */
  readonly detail: string;
  /** Wall-clock ms since the check is in this state. */
  readonly sinceMs: number;
  /** Wall-clock ms of the last round that ran it. */
  readonly checkedMs: number;
}

/** Every check by id, in the order of the last round. */
export type ReadinessState = Readonly<Record<string, CheckState>>;

/** A check that changed state. */
export interface ReadinessChange {
  /** The check's id. */
  readonly id: string;
  /** Its new state. */
  readonly state: CheckState;
  /** Whether it was ready before (null when first seen). */
  readonly wasReady: boolean | null;
}

/** One round's result of one check. */
export interface RoundResult extends CheckResult {
  /** The check's id. */
  readonly id: string;
  /** Its title. */
  readonly title: string;
}

/**
 * Folds a round into the state. Checks absent from the round (a step
 * disabled by a reload) are dropped.
 *
 * @param previous The state before.
 * @param round The results of this round.
 * @param nowMs Wall-clock now, ms.
 * @returns The new state and the changes to report, in round order.
 */
export function applyRound(
  previous: ReadinessState,
  round: readonly RoundResult[],
  nowMs: number,
): { state: ReadinessState; changes: ReadinessChange[] } {
  const state: Record<string, CheckState> = {};
  const changes: ReadinessChange[] = [];
  for (const result of round) {
    const before = previous[result.id];
    const flipped = before === undefined
      ? !result.ready
      : before.ready !== result.ready;
    const next: CheckState = {
      title: result.title,
      ready: result.ready,
      detail: result.detail,
      sinceMs: before === undefined || before.ready !== result.ready
        ? nowMs
        : before.sinceMs,
      checkedMs: nowMs,
    };
    state[result.id] = next;
    if (flipped) {
      changes.push({
        id: result.id,
        state: next,
        wasReady: before === undefined ? null : before.ready,
      });
    }
  }
  return { state, changes };
}

/**
 * Whether every check is ready.
 *
 * @param state The readiness state.
 * @returns True when no check is not ready (also when there is none).
 */
export function allReady(state: ReadinessState): boolean {
  return Object.values(state).every((check) => check.ready);
}
