/**
 * The budget (issue 13): time left on the battery against the time the
 * shutdown plan needs. Time left is estimated two ways on battery: the UPS's
 * `battery.runtime`, and the projection of the observed discharge (the
 * depletion slope) from the current charge down to the `low_battery` floor.
 * The pessimistic one counts; an unknown one (a sentinel, missing, no
 * trusted slope, a charge that rises) leaves the other. The projection is
 * trusted as the depletion trigger trusts the slope: after the grace period
 * with `min_samples` samples. The time needed reaches the core as data
 * (`PowerConfig.neededMs`, from the plan and the learned durations). Pure.
 *
 * @pure
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import { fmt, type PowerEvent, powerEvent } from "./events.ts";
import { type Reading, valueOf } from "./reading.ts";
import {
  type Decision,
  onBatteryMs,
  type PowerConfig,
  type PowerState,
  type TriggerName,
} from "./state.ts";

/** The time left on the battery, both ways, s. */
export interface TimeLeft {
  /** `battery.runtime`, s; null when unknown. */
  readonly runtimeS: number | null;
  /** The projection down to `low_battery`, s; null when not trusted. */
  readonly projectedS: number | null;
  /** The pessimistic of the two, s; null when neither is known. */
  readonly leftS: number | null;
}

/**
 * The two estimates of the time left, on battery only.
 *
 * @param state The power state (last reading, depletion, outage start).
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns Both estimates and the one that counts; all null on line power.
 */
export function timeLeft(
  state: Pick<PowerState, "last" | "depletion" | "outageStartMs" | "onBattery">,
  config: PowerConfig,
  monoMs: number,
): TimeLeft {
  if (!state.onBattery || state.last === null) {
    return { runtimeS: null, projectedS: null, leftS: null };
  }
  const runtimeS = valueOf(state.last.runtime);
  const charge = valueOf(state.last.charge);
  const t = config.triggers;
  const dep = state.depletion;
  const sinceMs = onBatteryMs(state as PowerState, monoMs) ?? 0;
  const trusted = dep !== null && sinceMs >= t.depletion["grace_period"] &&
    dep.samples >= t.depletion["min_samples"];
  // A charge that holds or rises (charging on battery, a flat step) gives
  // no projection: the runtime alone counts.
  const projectedS = trusted && charge !== null && dep.ratePerMin > 0
    ? Math.max(0, (charge - t["low_battery"]) / dep.ratePerMin * 60)
    : null;
  const known = [runtimeS, projectedS].filter((v) => v !== null);
  return {
    runtimeS,
    projectedS,
    leftS: known.length === 0 ? null : Math.min(...known),
  };
}

/**
 * Whether the budget holds against the margin now: known when the trigger is
 * on, the time needed is known and so is the time left.
 *
 * @param left The time left.
 * @param config The settings.
 * @returns Whether time left − time needed ≤ margin; null when unknown.
 */
export function budgetShort(
  left: TimeLeft,
  config: PowerConfig,
): boolean | null {
  const budget = config.triggers.budget;
  if (!budget.enabled || config.neededMs === undefined) return null;
  if (left.leftS === null) return null;
  return left.leftS * 1000 - config.neededMs <= budget.margin;
}

/**
 * After a reading on line power at full charge (OL, charge ≥ 99 %): whether
 * the runtime at full charge still covers the time needed plus the margin,
 * and the event when that changes (a first "fits" is silent).
 *
 * @param previous Whether it fitted at the last full charge; null before.
 * @param reading The reading.
 * @param config The settings.
 * @returns The new value and the event, if any.
 */
export function fullChargeFit(
  previous: boolean | null,
  reading: Reading,
  config: PowerConfig,
): { fits: boolean | null; event: PowerEvent | null } {
  const budget = config.triggers.budget;
  const charge = valueOf(reading.charge);
  const runtime = valueOf(reading.runtime);
  if (
    !budget.enabled || config.neededMs === undefined ||
    reading.source !== "line" || !reading.status.flags.has("OL") ||
    charge === null || charge < 99 || runtime === null
  ) {
    return { fits: previous, event: null };
  }
  const fits = runtime * 1000 >= config.neededMs + budget.margin;
  if (fits === previous || (previous === null && fits)) {
    return { fits, event: null };
  }
  const fields = {
    "runtime_s": runtime,
    "needed_s": config.neededMs / 1000,
    "margin_s": budget.margin / 1000,
  };
  const numbers = `runtime at full charge ${
    formatDuration(runtime * 1000)
  }, time needed ${formatDuration(config.neededMs)} + margin ${
    formatDuration(budget.margin)
  }`;
  const event = fits
    ? powerEvent(
      "budget.fits",
      `The battery covers the shutdown plan again: ${numbers}`,
      fields,
    )
    : powerEvent(
      "budget.short",
      `The battery no longer covers the shutdown plan: ${numbers}; the budget trigger will shut down at full charge`,
      fields,
    );
  return { fits, event };
}

/** The trigger nearest to firing and in how long, s. */
export interface Nearest {
  readonly trigger: TriggerName;
  readonly inS: number;
}

/**
 * Which time-based trigger would fire first at the current pace, on battery:
 * the budget (time left − needed − margin), the charge floor (projected at
 * the observed slope), the critical runtime, the extended time.
 *
 * @param state The power state.
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns The nearest, or null on line power or when nothing is known.
 */
export function nearestTrigger(
  state: PowerState,
  config: PowerConfig,
  monoMs: number,
): Nearest | null {
  if (!state.onBattery || state.last === null) return null;
  const t = config.triggers;
  const left = timeLeft(state, config, monoMs);
  const charge = valueOf(state.last.charge);
  const rate = state.depletion?.ratePerMin ?? 0;
  const since = onBatteryMs(state, monoMs) ?? 0;
  const candidates: [TriggerName, number | null][] = [
    [
      "budget",
      t.budget.enabled && config.neededMs !== undefined && left.leftS !== null
        ? left.leftS - (config.neededMs + t.budget.margin) / 1000
        : null,
    ],
    [
      "low_charge",
      charge !== null && rate > 0
        ? (charge - t["low_battery"]) / rate * 60
        : null,
    ],
    [
      "low_runtime",
      left.runtimeS === null
        ? null
        : left.runtimeS - t["critical_runtime"] / 1000,
    ],
    [
      "extended_time",
      t["extended_time"].enabled
        ? (t["extended_time"].after - since) / 1000
        : null,
    ],
  ];
  let nearest: Nearest | null = null;
  for (const [trigger, inS] of candidates) {
    if (inS === null) continue;
    const clamped = Math.max(0, Math.round(inS));
    if (nearest === null || clamped < nearest.inS) {
      nearest = { trigger, inS: clamped };
    }
  }
  return nearest;
}

/**
 * The budget decision, when time left and time needed are known now.
 *
 * @param state The state, its budget streak at `persistence_polls` or more.
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns The decision, or null when the time left is unknown now.
 */
export function budgetDecision(
  state: PowerState,
  config: PowerConfig,
  monoMs: number,
): Decision | null {
  const left = timeLeft(state, config, monoMs);
  const neededMs = config.neededMs;
  if (left.leftS === null || neededMs === undefined) return null;
  const marginMs = config.triggers.budget.margin;
  const s = (seconds: number | null) =>
    seconds === null ? "unknown" : `${fmt(seconds, 0)}s`;
  return {
    trigger: "budget",
    reason: `time left ${s(left.leftS)} (runtime ${
      s(left.runtimeS)
    }, projected ${s(left.projectedS)}) - time needed ${
      s(neededMs / 1000)
    } <= margin ${s(marginMs / 1000)} for ${
      state.streaks.budget === 1 ? "1 poll" : `${state.streaks.budget} polls`
    }`,
    numbers: {
      "time_left_s": Math.round(left.leftS),
      "runtime_s": left.runtimeS ?? "",
      "projected_s": left.projectedS === null
        ? ""
        : Math.round(left.projectedS),
      "needed_s": neededMs / 1000,
      "margin_s": marginMs / 1000,
      polls: state.streaks.budget,
    },
  };
}
