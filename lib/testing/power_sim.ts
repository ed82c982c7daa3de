/**
 * A driver for the power core in tests and benches: a fake monotonic and
 * wall clock, readings from variable records, and every event and decision
 * recorded. Imported only by `*_test.ts` and `*_bench.ts` of this folder.
 *
 * @pure
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { PowerEvent } from "../power/events.ts";
import type { PollFailureKind } from "../power/reading.ts";
import { readReading } from "../power/reading.ts";
import {
  type Decision,
  initialState,
  type PowerConfig,
  type PowerState,
  type ResumedOutage,
  type StepResult,
} from "../power/state.ts";
import { step } from "../power/triggers.ts";

/** Monotonic time a simulation starts at, ms (not 0, as in real life). */
export const MONO_START = 7_000_000;

/** Wall-clock time a simulation starts at, ms (2023-11-14). */
export const WALL_START = 1_700_000_000_000;

/** Steps the power core with a fake clock and records what it says. */
export class Sim {
  /** The current state. */
  state: PowerState;
  /** Monotonic now, ms. */
  monoMs = MONO_START;
  /** Wall-clock now, ms. */
  wallMs = WALL_START;
  /** Every event so far. */
  readonly events: PowerEvent[] = [];
  /** Every decision so far, with the monotonic time it came. */
  readonly decisions: { decision: Decision; monoMs: number }[] = [];
  /** The settings, with the plan's time needed when a test gives one. */
  readonly config: Config & Pick<PowerConfig, "neededMs">;

  /**
   * @param config The settings.
   * @param resumed An outage to resume.
   */
  constructor(
    config: Config & Pick<PowerConfig, "neededMs">,
    resumed: ResumedOutage | null = null,
  ) {
    this.config = config;
    this.state = initialState(resumed);
  }

  /** Monotonic ms since the start. */
  get elapsedMs(): number {
    return this.monoMs - MONO_START;
  }

  /**
   * Advances both clocks.
   *
   * @param ms Time to add.
   */
  advance(ms: number): void {
    this.monoMs += ms;
    this.wallMs += ms;
  }

  /**
   * One poll that returned these variables.
   *
   * @param vars Variable → value.
   * @param afterMs Time since the previous poll.
   * @returns The step's result.
   */
  poll(vars: Record<string, string>, afterMs = 1000): StepResult {
    this.advance(afterMs);
    return this.#step({
      kind: "reading",
      reading: readReading(vars, this.monoMs),
    });
  }

  /**
   * One poll that failed.
   *
   * @param kind Why.
   * @param afterMs Time since the previous poll.
   * @returns The step's result.
   */
  fail(kind: PollFailureKind = "refused", afterMs = 1000): StepResult {
    this.advance(afterMs);
    const detail = kind === "refused" ? "connection refused" : kind;
    return this.#step({ kind: "failure", failure: { kind, detail } });
  }

  /** Names of the events so far. */
  names(): string[] {
    return this.events.map((e) => e.name);
  }

  #step(input: Parameters<typeof step>[1]): StepResult {
    const result = step(this.state, input, {
      config: this.config,
      monoMs: this.monoMs,
      wallMs: this.wallMs,
    });
    this.state = result.state;
    this.events.push(...result.events);
    if (result.decision !== null) {
      this.decisions.push({ decision: result.decision, monoMs: this.monoMs });
    }
    return result;
  }
}

/**
 * The variables of a poll on battery.
 *
 * @param charge `battery.charge`.
 * @param extra More variables, or overrides (`ups.status`).
 * @returns The record.
 */
export function onBattery(
  charge: number | string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "ups.status": "OB DISCHRG",
    "battery.charge": String(charge),
    "battery.runtime": "3000",
    "input.voltage": "0",
    "input.voltage.nominal": "230",
    "ups.load": "30",
    ...extra,
  };
}

/**
 * The variables of a poll on line power.
 *
 * @param charge `battery.charge`.
 * @param extra More variables, or overrides (`ups.status`).
 * @returns The record.
 */
export function onLine(
  charge: number | string = 100,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "ups.status": "OL CHRG",
    "battery.charge": String(charge),
    "battery.runtime": "3000",
    "input.voltage": "230",
    "input.voltage.nominal": "230",
    "ups.load": "30",
    ...extra,
  };
}
