/**
 * The state snapshot: what the loop writes to `paths.state` each poll and
 * what `ups-monitor status` reads back (time on battery, depletion rate).
 * Plain JSON with snake_case keys. Pure.
 *
 * @pure
 * @module
 */
import { round3 } from "./events.ts";
import type { Reading, Value } from "./reading.ts";
import { valueOf } from "./reading.ts";
import type { AvrState, ConnectionState, VoltageState } from "./trackers.ts";
import {
  onBatteryMs,
  type PowerConfig,
  type PowerState,
  type TriggerName,
} from "./state.ts";
import { nearestTrigger, timeLeft } from "./budget.ts";

/** The budget in the snapshot: time left against time needed, s. */
export interface BudgetSnapshot {
  /** The pessimistic estimate of the time left on battery; null on line. */
  readonly "time_left_s": number | null;
  /** `battery.runtime` on battery. */
  readonly "runtime_s": number | null;
  /** The projection of the observed discharge down to `low_battery`. */
  readonly "projected_s": number | null;
  /** The time the plan needs; null when unknown. */
  readonly "needed_s": number | null;
  /** `triggers.budget.margin`; null when the budget trigger is off. */
  readonly "margin_s": number | null;
  /** Runtime at the last full charge covered needed + margin; null unseen. */
  readonly "fits_at_full_charge": boolean | null;
  /** The trigger nearest to firing at the current pace, on battery. */
  readonly "nearest_trigger": {
    readonly trigger: TriggerName;
    readonly "in_s": number;
  } | null;
}

/** The snapshot; every field is JSON. */
export interface PowerSnapshot {
  /** `ups.status` of the last valid reading, as served. */
  readonly status: string | null;
  /** Its tokens: known flags, then vendor ones. */
  readonly flags: readonly string[];
  /** On battery per the last valid reading (or a resumed outage). */
  readonly "on_battery": boolean;
  /** Time on battery, ms; null on line power. */
  readonly "on_battery_ms": number | null;
  /** The power changes between line and battery: `power.flapping` was sent. */
  readonly flapping: boolean;
  /** Battery charge, %. */
  readonly charge: number | null;
  /** Runtime, s. */
  readonly "runtime_s": number | null;
  /** Input voltage, V. */
  readonly "input_voltage": number | null;
  /** Load, %. */
  readonly load: number | null;
  /** Why each unknown field of the last reading is unknown. */
  readonly unknown: Readonly<Record<string, string>>;
  /** Depletion rate, %/min; null without two samples on battery. */
  readonly "depletion_rate_per_min": number | null;
  /** Samples behind the rate. */
  readonly "depletion_samples": number;
  /** Connection state. */
  readonly connection: ConnectionState;
  /** Consecutive failed polls. */
  readonly failures: number;
  /** The latest failure, e.g. `data_stale: ERR DATA-STALE`. */
  readonly "last_failure": string | null;
  /** Voltage state. */
  readonly voltage: VoltageState;
  /** AVR state. */
  readonly avr: AvrState;
  /** Overloaded. */
  readonly overload: boolean;
  /** On bypass. */
  readonly bypass: boolean;
  /** Active alarm flags. */
  readonly alarms: readonly string[];
  /** An FSD latched at start is being ignored. */
  readonly "fsd_ignored": boolean;
  /** Triggers may fire. */
  readonly armed: boolean;
  /** The latest decision. */
  readonly "last_trigger": {
    readonly trigger: TriggerName;
    readonly reason: string;
    readonly "wall_ms": number;
  } | null;
  /** Age of the last valid reading, ms; null before the first. */
  readonly "reading_age_ms": number | null;
  /** Time left against time needed; absent without the settings. */
  readonly budget?: BudgetSnapshot;
}

const SHOWN_FIELDS = {
  charge: "charge",
  runtime: "runtime_s",
  inputVoltage: "input_voltage",
  load: "load",
} as const satisfies Partial<Record<keyof Reading, string>>;

/**
 * Summarises the state for the snapshot file.
 *
 * @param state The power state.
 * @param monoMs Monotonic now, ms.
 * @param config The settings, for the budget. @default no budget
 * @returns The snapshot.
 */
export function snapshot(
  state: PowerState,
  monoMs: number,
  config?: PowerConfig,
): PowerSnapshot {
  const last = state.last;
  const num = (v: Value | undefined) => v === undefined ? null : valueOf(v);
  const unknown: Record<string, string> = {};
  if (last !== null) {
    for (const [field, key] of Object.entries(SHOWN_FIELDS)) {
      const value = last[field as keyof typeof SHOWN_FIELDS];
      if (!value.known) unknown[key] = value.reason;
    }
  }
  const t = state.trackers;
  const failure = t.lastFailure;
  return {
    status: last?.status.raw ?? null,
    flags: last === null ? [] : [...last.status.flags, ...last.status.other],
    "on_battery": state.onBattery,
    "on_battery_ms": onBatteryMs(state, monoMs),
    flapping: state.flap.flapping,
    charge: num(last?.charge),
    "runtime_s": num(last?.runtime),
    "input_voltage": num(last?.inputVoltage),
    load: num(last?.load),
    unknown,
    "depletion_rate_per_min": round3(state.depletion?.ratePerMin ?? null),
    "depletion_samples": state.depletion?.samples ?? 0,
    connection: t.connection,
    failures: t.failures,
    "last_failure": failure === null
      ? null
      : `${failure.kind}: ${failure.detail}`,
    voltage: t.voltage,
    avr: t.avr,
    overload: t.overload,
    bypass: t.bypass,
    alarms: Object.keys(t.alarms),
    "fsd_ignored": state.fsdIgnored,
    armed: state.armed,
    "last_trigger": state.lastTrigger === null ? null : {
      trigger: state.lastTrigger.decision.trigger,
      reason: state.lastTrigger.decision.reason,
      "wall_ms": state.lastTrigger.wallMs,
    },
    "reading_age_ms": state.lastValidMs === null
      ? null
      : monoMs - state.lastValidMs,
    ...(config === undefined
      ? {}
      : { budget: budgetOf(state, config, monoMs) }),
  };
}

function budgetOf(
  state: PowerState,
  config: PowerConfig,
  monoMs: number,
): BudgetSnapshot {
  const left = timeLeft(state, config, monoMs);
  const whole = (s: number | null) => s === null ? null : Math.round(s);
  const nearest = nearestTrigger(state, config, monoMs);
  const budget = config.triggers.budget;
  return {
    "time_left_s": whole(left.leftS),
    "runtime_s": left.runtimeS,
    "projected_s": whole(left.projectedS),
    "needed_s": config.neededMs === undefined ? null : config.neededMs / 1000,
    "margin_s": budget.enabled ? budget.margin / 1000 : null,
    "fits_at_full_charge": state.budgetFits,
    "nearest_trigger": nearest === null
      ? null
      : { trigger: nearest.trigger, "in_s": nearest.inS },
  };
}
