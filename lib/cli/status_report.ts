/**
 * The report of `ups-monitor status --json`, as data: one builder for the
 * command (a fresh reading, the daemon's files) and for the daemon's
 * `GET /status` (its last reading and its memory), so both print the same
 * object for the same state. Pure.
 *
 * @pure
 * @module
 */
import type { FleetStatus } from "./status_fleet.ts";
import { formatEndpoint, type UpsAddress } from "../config/ups_address.ts";
import {
  type Reading,
  type StatusFlag,
  type Value,
  valueOf,
} from "../power/reading.ts";
import {
  type BudgetSnapshot,
  type PowerSnapshot,
  snapshot,
} from "../power/snapshot.ts";
import type { Decision, PowerConfig, PowerState } from "../power/state.ts";
import type { TimingSummary } from "../power/timing.ts";
import { decide } from "../power/triggers.ts";
import type { ReadinessState } from "../readiness/state.ts";

/** Each status flag in words. */
export const FLAG_WORDS: Record<StatusFlag, string> = {
  OL: "on line power",
  OB: "on battery",
  LB: "low battery",
  HB: "high battery",
  RB: "replace battery",
  CHRG: "charging",
  DISCHRG: "discharging",
  BYPASS: "on bypass",
  CAL: "calibrating",
  OFF: "output off",
  OVER: "overloaded",
  TRIM: "trimming voltage (AVR)",
  BOOST: "boosting voltage (AVR)",
  FSD: "forced shutdown",
  ALARM: "alarm",
};

/** What status prints, as data: the `--json` output and `GET /status`. */
export interface StatusReport {
  ups: string;
  endpoint: string;
  mfr: string | null;
  model: string | null;
  status: string | null;
  flags: string[];
  words: string[];
  charge: number | null;
  "runtime_s": number | null;
  "input_voltage": number | null;
  "nominal_voltage": number | null;
  load: number | null;
  "input_frequency": number | null;
  "battery_voltage": number | null;
  temperature: number | null;
  unknown: Record<string, string>;
  "on_battery_s": number | null;
  "depletion_rate_per_min": number | null;
  /** Time left against the time the plan needs, and the nearest trigger. */
  budget: BudgetSnapshot | null;
  daemon: number | null;
  trigger: Decision | null;
  /** The live daemon's last readiness round; null without one. */
  readiness: ReadinessState | null;
  /** The live daemon's poll and decision times; null without them. */
  timing: TimingSummary | null;
  /** This host's NUT role and the clients logged in to the UPS. */
  fleet: FleetStatus;
}

/** What the report is built from. */
export interface StatusFacts {
  /** The configured UPS. */
  address: UpsAddress;
  /** `ups.mfr` and `ups.model`; null when not served (or not read yet). */
  mfr: string | null;
  model: string | null;
  /** The reading; null before the daemon's first one. */
  reading: Reading | null;
  /** The power state's snapshot at the reading. */
  snap: PowerSnapshot;
  /** The budget to show (see `budgetNow`). */
  budget: BudgetSnapshot | null;
  /** The trigger this reading would fire if it lasted. */
  trigger: Decision | null;
  /** The live daemon's pid, or null. */
  daemon: number | null;
  readiness: ReadinessState | null;
  timing: TimingSummary | null;
  fleet: FleetStatus;
}

/**
 * The settings for "as if the reading lasted": one poll stands for a
 * lasting condition, persistence is the daemon's business.
 *
 * @param config The power settings, the time needed included.
 * @returns The same with `persistence_polls` 1.
 */
export function lastingConfig(config: PowerConfig): PowerConfig {
  return {
    ...config,
    triggers: { ...config.triggers, "persistence_polls": 1 },
  };
}

/**
 * What the triggers say about a power state as if its reading lasted, and
 * its snapshot: the daemon's view for `GET /status`.
 *
 * @param state The daemon's power state.
 * @param config Its power settings.
 * @param monoMs Monotonic now, ms.
 * @returns The decision (null when none) and the snapshot with the budget.
 */
export function assessState(
  state: PowerState,
  config: PowerConfig,
  monoMs: number,
): { decision: Decision | null; snap: PowerSnapshot } {
  const once = lastingConfig(config);
  return {
    decision: decide(state, once, monoMs),
    snap: snapshot(state, monoMs, once),
  };
}

/** Why each unknown value of a reading is unknown. */
function unknownOf(reading: Reading): Record<string, string> {
  const unknown: Record<string, string> = {};
  const required: Record<string, Value> = {
    charge: reading.charge,
    runtime: reading.runtime,
    "input_voltage": reading.inputVoltage,
    load: reading.load,
  };
  for (const [key, value] of Object.entries(required)) {
    if (!value.known) unknown[key] = value.reason;
  }
  const optional: Record<string, Value> = {
    "input_frequency": reading.inputFrequency,
    "battery_voltage": reading.batteryVoltage,
    temperature: reading.temperature,
  };
  for (const [key, value] of Object.entries(optional)) {
    // Absent is normal for these: only a value served but unusable is news.
    if (!value.known && value.code !== "missing") unknown[key] = value.reason;
  }
  return unknown;
}

/**
 * Builds the report.
 *
 * @param facts The reading, the state and what the daemon knows.
 * @returns The object `status --json` prints.
 */
export function statusReport(facts: StatusFacts): StatusReport {
  const { reading, snap } = facts;
  const num = (pick: (r: Reading) => Value) =>
    reading === null ? null : valueOf(pick(reading));
  return {
    ups: facts.address.ups,
    endpoint: formatEndpoint(facts.address),
    mfr: facts.mfr,
    model: facts.model,
    status: reading?.status.raw ?? null,
    flags: reading === null
      ? []
      : [...reading.status.flags, ...reading.status.other],
    words: reading === null
      ? []
      : [...reading.status.flags].map((flag) => FLAG_WORDS[flag]),
    charge: num((r) => r.charge),
    "runtime_s": num((r) => r.runtime),
    "input_voltage": num((r) => r.inputVoltage),
    "nominal_voltage": num((r) => r.nominalVoltage),
    load: num((r) => r.load),
    "input_frequency": num((r) => r.inputFrequency),
    "battery_voltage": num((r) => r.batteryVoltage),
    temperature: num((r) => r.temperature),
    unknown: reading === null ? {} : unknownOf(reading),
    "on_battery_s": snap.on_battery_ms === null
      ? null
      : Math.round(snap.on_battery_ms / 1000),
    "depletion_rate_per_min": snap.depletion_rate_per_min,
    budget: facts.budget,
    daemon: facts.daemon,
    trigger: facts.trigger,
    readiness: facts.readiness,
    timing: facts.timing,
    fleet: facts.fleet,
  };
}
