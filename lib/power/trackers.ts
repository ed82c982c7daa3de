/**
 * State machines for what the monitor reports but does not shut down for:
 * input voltage (brownout / over-voltage), AVR (boost / trim), overload,
 * bypass, alarm flags (LB, RB, OFF, ALARM; a 1–2 s LB on line power is an
 * alarm, never a shutdown: NUT.md §3) and the connection (ok / stale / lost).
 * Each emits one event when its state changes and nothing while it stays;
 * voltage and alarms have hysteresis so a flapping input does not storm.
 * Pure.
 *
 * @pure
 * @module
 */
import type { Config } from "../config/schema.ts";
import {
  type PowerEvent,
  powerEvent,
  type PowerEventName,
  shown,
} from "./events.ts";
import {
  nextVoltage,
  voltageEvent,
  type VoltageState,
  voltageThresholds,
} from "./voltage.ts";
import {
  DATA_FAILURES,
  type PollFailure,
  type PollFailureKind,
  pollFailureOf,
  type Reading,
  type StatusFlag,
  valueOf,
} from "./reading.ts";

/** The settings the trackers read. */
export interface TrackerConfig {
  /** `triggers.voltage`. */
  readonly triggers: { readonly voltage: Config["triggers"]["voltage"] };
  /** `ups.max_stale_data_tolerance`. */
  readonly ups: Pick<Config["ups"], "max_stale_data_tolerance">;
}

/** Flags tracked as alarms. */
export const ALARM_FLAGS = ["LB", "RB", "OFF", "ALARM"] as const;

/** A flag tracked as an alarm. */
export type AlarmFlag = typeof ALARM_FLAGS[number];

/**
 * How long an alarm flag must stay away before it counts as cleared: a flag
 * flickering within this time yields one event, not one per flicker.
 */
export const ALARM_HOLD_MS = 60_000;

/** Overload ends once the load is this many points below 100 %. */
export const OVERLOAD_HYSTERESIS_PERCENT = 5;

export type { VoltageState } from "./voltage.ts";

/** AVR state. */
export type AvrState = "off" | "boost" | "trim";
/** Connection state: `stale` when upsd answers without data, else `lost`. */
export type ConnectionState = "ok" | "stale" | "lost";

/** The state of all trackers. */
export interface TrackerState {
  /** Input voltage state, updated on line power only. */
  readonly voltage: VoltageState;
  /** AVR state, updated on line power only. */
  readonly avr: AvrState;
  /** OVER set or load above 100 %. */
  readonly overload: boolean;
  /** BYPASS set. */
  readonly bypass: boolean;
  /** Active alarm flags → when last seen (monotonic ms). */
  readonly alarms: Readonly<Partial<Record<AlarmFlag, number>>>;
  /** Connection state. */
  readonly connection: ConnectionState;
  /** Consecutive polls without a valid reading. */
  readonly failures: number;
  /** The latest of those failures, null after a valid reading. */
  readonly lastFailure: PollFailure | null;
  /** Monotonic ms of the first of those failures. */
  readonly failingSinceMs: number | null;
}

/** Trackers before the first poll: everything normal. */
export const INITIAL_TRACKERS: TrackerState = {
  voltage: "normal",
  avr: "off",
  overload: false,
  bypass: false,
  alarms: {},
  connection: "ok",
  failures: 0,
  lastFailure: null,
  failingSinceMs: null,
};

/** A tracker update: the new state and the events of the change. */
export interface TrackerUpdate {
  /** The new state. */
  readonly state: TrackerState;
  /** One event per state that changed. */
  readonly events: readonly PowerEvent[];
}

function hasFlag(reading: Reading, flag: StatusFlag): boolean {
  return reading.status.flags.has(flag);
}

/**
 * Updates the trackers with a reading that carries a power state: a valid
 * one, or a blind one (on battery without charge or runtime, see
 * `pollFailureOf`), which updates the flags but counts as a failed poll for
 * the connection instead of restoring it.
 *
 * @param state The trackers.
 * @param reading A valid or blind reading.
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns The new state and the events of what changed.
 */
export function trackReading(
  state: TrackerState,
  reading: Reading,
  config: TrackerConfig,
  monoMs: number,
): TrackerUpdate {
  const events: PowerEvent[] = [];
  const flags = {
    ...trackLine(state, reading, config, events),
    ...trackLoad(state, reading, events),
    alarms: trackAlarms(state, reading, monoMs, events),
  };
  const failure = pollFailureOf(reading);
  if (failure !== null) {
    const link = trackFailure(state, failure, config, monoMs);
    return {
      state: { ...link.state, ...flags },
      events: [...events, ...link.events],
    };
  }
  if (state.connection !== "ok") {
    const downMs = monoMs - (state.failingSinceMs ?? monoMs);
    events.push(
      powerEvent(
        "connection.restored",
        `Connection to the UPS restored after ${state.failures} failed polls`,
        { failures: state.failures, "down_ms": downMs },
      ),
    );
  }
  return {
    state: {
      ...flags,
      connection: "ok",
      failures: 0,
      lastFailure: null,
      failingSinceMs: null,
    },
    events,
  };
}

/** Input voltage and AVR, judged on line power only. */
function trackLine(
  state: TrackerState,
  reading: Reading,
  config: TrackerConfig,
  events: PowerEvent[],
): Pick<TrackerState, "voltage" | "avr"> {
  if (reading.source !== "line") {
    return { voltage: state.voltage, avr: state.avr };
  }
  const volts = valueOf(reading.inputVoltage);
  let voltage = state.voltage;
  if (volts !== null) {
    const t = voltageThresholds(reading, config.triggers.voltage);
    voltage = nextVoltage(state.voltage, volts, t);
    if (voltage !== state.voltage) events.push(voltageEvent(voltage, volts, t));
  }
  const avr: AvrState = hasFlag(reading, "BOOST")
    ? "boost"
    : hasFlag(reading, "TRIM")
    ? "trim"
    : "off";
  if (avr !== state.avr) events.push(avrEvent(avr, volts));
  return { voltage, avr };
}

/** Overload (with hysteresis) and bypass. */
function trackLoad(
  state: TrackerState,
  reading: Reading,
  events: PowerEvent[],
): Pick<TrackerState, "overload" | "bypass"> {
  const load = valueOf(reading.load);
  const overload = hasFlag(reading, "OVER") || (load !== null && load > 100) ||
    (state.overload && load !== null &&
      load > 100 - OVERLOAD_HYSTERESIS_PERCENT);
  if (overload !== state.overload) {
    events.push(
      overload
        ? powerEvent(
          "ups.overload",
          `UPS overloaded: load ${shown(load, "%")}`,
          { load },
        )
        : powerEvent(
          "ups.overload_resolved",
          `UPS overload resolved: load ${shown(load, "%")}`,
          { load },
        ),
    );
  }
  const bypass = hasFlag(reading, "BYPASS");
  if (bypass !== state.bypass) {
    events.push(
      bypass
        ? powerEvent("ups.bypass", "UPS on bypass: the load is not protected", {
          load,
        })
        : powerEvent("ups.bypass_off", "UPS off bypass", {
          load,
        }),
    );
  }
  return { overload, bypass };
}

/** Alarm flags; one that flickers within the hold stays one alarm. */
function trackAlarms(
  state: TrackerState,
  reading: Reading,
  monoMs: number,
  events: PowerEvent[],
): TrackerState["alarms"] {
  const alarms: Partial<Record<AlarmFlag, number>> = {};
  for (const flag of ALARM_FLAGS) {
    const seen = state.alarms[flag];
    if (hasFlag(reading, flag)) {
      alarms[flag] = monoMs;
      if (seen === undefined) events.push(alarmEvent(flag, true, reading));
    } else if (seen !== undefined) {
      if (monoMs - seen < ALARM_HOLD_MS) alarms[flag] = seen;
      else events.push(alarmEvent(flag, false, reading));
    }
  }
  return alarms;
}

/**
 * Updates the trackers with a poll that gave no valid reading. The
 * connection state changes once `max_stale_data_tolerance` consecutive polls
 * failed: `stale` when upsd answered without data (DATA-STALE,
 * DRIVER-NOT-CONNECTED, WAIT, no status, a blind reading), else `lost`.
 *
 * @param state The trackers.
 * @param failure Why the poll failed.
 * @param config The settings.
 * @param monoMs Monotonic now, ms.
 * @returns The new state and the events of what changed.
 */
export function trackFailure(
  state: TrackerState,
  failure: PollFailure,
  config: TrackerConfig,
  monoMs: number,
): TrackerUpdate {
  const failures = state.failures + 1;
  const tolerance = config.ups["max_stale_data_tolerance"];
  const connection: ConnectionState = failures < tolerance
    ? state.connection
    : connectionStateOf(failure.kind);
  const events: PowerEvent[] = [];
  if (connection !== state.connection) {
    const name: PowerEventName = connection === "stale"
      ? "connection.stale"
      : "connection.lost";
    const what = connection === "stale"
      ? "UPS data stale"
      : "UPS connection lost";
    events.push(
      powerEvent(
        name,
        `${what}: ${failures} failed polls (${failure.kind}: ${failure.detail})`,
        {
          failures,
          kind: failure.kind,
          detail: failure.detail,
        },
      ),
    );
  }
  return {
    state: {
      ...state,
      connection,
      failures,
      lastFailure: failure,
      failingSinceMs: state.failingSinceMs ?? monoMs,
    },
    events,
  };
}

function connectionStateOf(kind: PollFailureKind): ConnectionState {
  return DATA_FAILURES.has(kind) ? "stale" : "lost";
}

function avrEvent(state: AvrState, volts: number | null): PowerEvent {
  const fields = { "input_voltage": volts };
  if (state === "boost") {
    return powerEvent(
      "avr.boost",
      `AVR boosting a low input (${shown(volts, "V")})`,
      fields,
    );
  }
  if (state === "trim") {
    return powerEvent(
      "avr.trim",
      `AVR trimming a high input (${shown(volts, "V")})`,
      fields,
    );
  }
  return powerEvent("avr.off", `AVR off (input ${shown(volts, "V")})`, fields);
}

function alarmEvent(
  flag: AlarmFlag,
  on: boolean,
  reading: Reading,
): PowerEvent {
  const charge = valueOf(reading.charge);
  const fields = {
    flag,
    "on_battery": reading.source === "battery",
    charge,
    "runtime_s": valueOf(reading.runtime),
    alarm: reading.alarm,
  };
  const where = reading.source === "battery" ? "on battery" : "on line power";
  if (flag === "LB") {
    return on
      ? powerEvent(
        "battery.low_flag",
        `UPS low-battery flag ${where} (charge ${shown(charge, "%")})`,
        fields,
      )
      : powerEvent(
        "battery.low_flag_cleared",
        "UPS low-battery flag cleared",
        fields,
      );
  }
  const text = reading.alarm === null ? "" : `: ${reading.alarm}`;
  return on
    ? powerEvent("ups.alarm", `UPS flag ${flag} ${where}${text}`, fields)
    : powerEvent("ups.alarm_cleared", `UPS flag ${flag} cleared`, fields);
}
