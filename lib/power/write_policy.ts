/**
 * When the loop writes its runtime files. On line power nothing but the age
 * of the reading changes from poll to poll, so the state snapshot is written
 * when its content changes, and while on battery (where charge and runtime
 * move every poll) at most every {@linkcode STATE_MIN_INTERVAL_MS} unless
 * something that matters changed (power source, connection, arming, a
 * decision, flags); ages and timings alone refresh it every
 * {@linkcode STATE_REFRESH_MS}. The outage file is written every poll on battery (it is
 * what a restart resumes) and once when the outage state changes. Pure.
 *
 * @pure
 * @module
 */
import type { PowerSnapshot } from "./snapshot.ts";

/** Least time between two state writes on battery without an urgent change, ms. */
export const STATE_MIN_INTERVAL_MS = 5000;

/**
 * Longest time the state file goes unwritten, ms: its ages and the loop's
 * timings stay at most this old.
 */
export const STATE_REFRESH_MS = 60_000;

/** What was last written. */
export interface WrittenMemo {
  /** The snapshot's content without its ages, as last written. */
  readonly stateKey: string | null;
  /** Its urgent part. */
  readonly urgentKey: string | null;
  /** Monotonic ms of the last state write. */
  readonly stateAtMs: number;
  /** Whether the last outage file said "on battery"; null before the first. */
  readonly onBattery: boolean | null;
}

/** Nothing written yet. */
export const NOTHING_WRITTEN: WrittenMemo = {
  stateKey: null,
  urgentKey: null,
  stateAtMs: Number.NEGATIVE_INFINITY,
  onBattery: null,
};

/** The decision for one poll. */
export interface WritePlan {
  /** Write the state snapshot. */
  readonly state: boolean;
  /** Write the outage file. */
  readonly history: boolean;
  /** The memo after those writes succeed. */
  readonly memo: WrittenMemo;
}

/**
 * Decides which runtime files this poll writes.
 *
 * @param memo What was last written.
 * @param snap This poll's snapshot.
 * @param monoMs Monotonic now, ms.
 * @returns What to write and the memo once written.
 */
export function planWrites(
  memo: WrittenMemo,
  snap: PowerSnapshot,
  monoMs: number,
): WritePlan {
  const onBattery = snap["on_battery"];
  const {
    "reading_age_ms": _age,
    "on_battery_ms": _since,
    timing: _timing,
    ...content
  } = snap as PowerSnapshot & { timing?: unknown };
  const stateKey = JSON.stringify(content);
  const urgentKey = JSON.stringify([
    onBattery,
    snap.connection,
    snap.armed,
    snap["last_trigger"],
    snap.flags,
    snap["fsd_ignored"],
  ]);
  const since = monoMs - memo.stateAtMs;
  const changed = stateKey !== memo.stateKey;
  const state = since >= STATE_REFRESH_MS ||
    changed && (!onBattery || urgentKey !== memo.urgentKey ||
        since >= STATE_MIN_INTERVAL_MS);
  const history = onBattery || memo.onBattery !== onBattery;
  return {
    state,
    history,
    memo: {
      stateKey: state ? stateKey : memo.stateKey,
      urgentKey: state ? urgentKey : memo.urgentKey,
      stateAtMs: state ? monoMs : memo.stateAtMs,
      onBattery: history ? onBattery : memo.onBattery,
    },
  };
}
