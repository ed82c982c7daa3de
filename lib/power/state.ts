/**
 * The power core's state and what a step takes and gives: the settings it
 * reads, the poll input, the context with both clocks, the decision. Pure.
 *
 * @pure
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { PowerEvent } from "./events.ts";
import { type FlapState, NO_STREAKS, SETTLED } from "./flapping.ts";
import type { Depletion, History } from "./history.ts";
import type { PollFailure, Reading } from "./reading.ts";
import {
  INITIAL_TRACKERS,
  type TrackerConfig,
  type TrackerState,
} from "./trackers.ts";

/** The settings the power core reads; a whole `Config` fits. */
export interface PowerConfig extends TrackerConfig {
  /** `triggers`. */
  readonly triggers: Config["triggers"];
  /** `shutdown.rearm_after`. */
  readonly shutdown: Pick<Config["shutdown"], "rearm_after">;
  /**
   * The time the shutdown plan needs, ms (learned durations, else worst
   * cases): the budget trigger weighs it against the time left. Absent, the
   * budget trigger cannot fire.
   */
  readonly neededMs?: number;
}

/** The triggers, in the order they are tried. */
export const TRIGGERS = [
  "fsd",
  "low_battery_flag",
  "budget",
  "low_charge",
  "low_runtime",
  "depletion",
  "extended_time",
  "fail_safe",
] as const;

/** A trigger. */
export type TriggerName = typeof TRIGGERS[number];

/** A shutdown decision and why. */
export interface Decision {
  /** The trigger that matched first. */
  readonly trigger: TriggerName;
  /** For people, with the numbers: "charge 18% < 20% for 3 polls". */
  readonly reason: string;
  /** The numbers behind it, snake_case keys. */
  readonly numbers: Readonly<Record<string, number | string>>;
}

/**
 * Polls on battery each threshold condition has held in a row. A poll where
 * the value is unknown (a failed poll, a charge of "NaN", a sentinel
 * runtime) neither bumps nor resets it; a known value that does not meet the
 * condition, and line power, reset it.
 */
export interface Streaks {
  /** Charge below `low_battery` on battery. */
  readonly charge: number;
  /** Runtime below `critical_runtime` on battery. */
  readonly runtime: number;
  /** Depletion over the critical rate with grace and samples satisfied. */
  readonly depletion: number;
  /** Time left − time needed at or below `triggers.budget.margin`. */
  readonly budget: number;
}

/** The power core's state; build it with {@linkcode initialState}. */
export interface PowerState {
  /** Tracker states, connection and failure count included. */
  readonly trackers: TrackerState;
  /**
   * The last reading of this process with a power state: a valid one, or a
   * blind one on battery (see `pollFailureOf`).
   */
  readonly last: Reading | null;
  /** Monotonic ms of that reading. */
  readonly lastValidMs: number | null;
  /** On battery per the last reading with a known source. */
  readonly onBattery: boolean;
  /**
   * Monotonic ms the outage began, null on line power. A line return shorter
   * than the hold does not end the outage (see `flapping.ts`).
   */
  readonly outageStartMs: number | null;
  /** The run of changes between line and battery, and a held outage. */
  readonly flap: FlapState;
  /** The outage came from the persisted file, unconfirmed by a reading. */
  readonly resumed: boolean;
  /** Monotonic ms since when the UPS is on line power, for re-arming. */
  readonly lineSinceMs: number | null;
  /** Charge samples of this outage. */
  readonly history: History;
  /** The latest depletion rate, null without two samples. */
  readonly depletion: Depletion | null;
  /** How long each threshold condition has held. */
  readonly streaks: Streaks;
  /** An FSD latched at start on line power is being ignored. */
  readonly fsdIgnored: boolean;
  /**
   * Whether the runtime at the last full charge on line power covered the
   * time needed plus the margin; null before one was seen.
   */
  readonly budgetFits: boolean | null;
  /** A decision may be handed out. */
  readonly armed: boolean;
  /** The latest decision and its wall-clock time. */
  readonly lastTrigger:
    | { readonly decision: Decision; readonly wallMs: number }
    | null;
}

/** An outage carried over a restart (see `restoreOutage`). */
export interface ResumedOutage {
  /** Monotonic ms the outage began, in this process's clock. */
  readonly outageStartMs: number;
  /** The charge samples, in this process's clock. */
  readonly history: History;
}

/** One poll: a reading, or a failure to get one. */
export type PollInput =
  | { readonly kind: "reading"; readonly reading: Reading }
  | { readonly kind: "failure"; readonly failure: PollFailure };

/** What a step needs besides the state and the poll. */
export interface StepContext {
  /** The settings. */
  readonly config: PowerConfig;
  /** Monotonic now, ms: all durations are measured with it. */
  readonly monoMs: number;
  /** Wall-clock now, ms since the epoch: only stamps the decision. */
  readonly wallMs: number;
}

/** The result of one step. */
export interface StepResult {
  /** The new state. */
  readonly state: PowerState;
  /** What changed, in order; `shutdown.triggered` last. */
  readonly events: readonly PowerEvent[];
  /** A new decision to hand to the shutdown sequence, else null. */
  readonly decision: Decision | null;
}

/**
 * The state at start, optionally resuming an outage from before a restart.
 *
 * @param resumed The outage restored from the persisted file, if any.
 * @returns The state.
 */
export function initialState(resumed: ResumedOutage | null = null): PowerState {
  return {
    trackers: INITIAL_TRACKERS,
    last: null,
    lastValidMs: null,
    onBattery: resumed !== null,
    outageStartMs: resumed?.outageStartMs ?? null,
    resumed: resumed !== null,
    lineSinceMs: null,
    history: resumed?.history ?? [],
    depletion: null,
    flap: SETTLED,
    streaks: NO_STREAKS,
    fsdIgnored: false,
    budgetFits: null,
    armed: true,
    lastTrigger: null,
  };
}

/**
 * Time on battery, ms; null on line power.
 *
 * @param state The state.
 * @param monoMs Monotonic now, ms.
 * @returns The duration of the current outage.
 */
export function onBatteryMs(state: PowerState, monoMs: number): number | null {
  return state.outageStartMs === null ? null : monoMs - state.outageStartMs;
}
