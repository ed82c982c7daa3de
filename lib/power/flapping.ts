/**
 * Changes between line and battery power, with hysteresis: the events
 * `power.on_battery`, `power.restored` and `power.flapping`, and the outage
 * a short line return sets aside.
 *
 * - The line counts as back for good once it is read on
 *   {@linkcode FLAP_HOLD_POLLS} polls in a row. Its return still sends
 *   `power.restored` at once, but the outage (start, charge history,
 *   threshold streaks) is held until then: if the battery comes back first,
 *   the outage resumes, so the time on battery, the depletion rate and the
 *   streaks go on through the blip.
 * - {@linkcode FLAP_CHANGES} changes in a row, each within the hold of the
 *   one before, are flapping: one `power.flapping` event, then no
 *   `power.on_battery` or `power.restored` until one source has held for the
 *   hold; that ends it with one `power.restored` or `power.on_battery`
 *   carrying the number of changes.
 *
 * The hold is counted in readings rather than seconds so that it scales with
 * `ups.check_interval`: a change seen at every poll, or every other, is
 * caught whatever the cadence. Polls without a reading count for neither
 * source. Pure.
 *
 * @pure
 * @module
 */
import { fmt, type PowerEvent, powerEvent, shown } from "./events.ts";
import type { History } from "./history.ts";
import { type Reading, valueOf } from "./reading.ts";
import type { PowerState, Streaks } from "./state.ts";

/**
 * Readings in a row with one source that end a run of changes: 5 polls, 5 s
 * at the default 1 s interval. A line return read on fewer polls is a blip
 * within the outage; a longer one ends the outage (its timers start again).
 */
export const FLAP_HOLD_POLLS = 5;

/**
 * Changes in a row (each within {@linkcode FLAP_HOLD_POLLS} of the one
 * before) that are flapping. Three: an outage and its return (two changes)
 * are normal news; the power going off again right away is not.
 */
export const FLAP_CHANGES = 3;

/** Threshold streaks of no outage. */
export const NO_STREAKS: Streaks = {
  charge: 0,
  runtime: 0,
  depletion: 0,
  budget: 0,
};

/** An outage: when it began, its charge samples and threshold streaks. */
export interface Outage {
  /** Monotonic ms the outage began, null on line power. */
  readonly outageStartMs: number | null;
  /** Charge samples of the outage. */
  readonly history: History;
  /** How long each threshold condition has held. */
  readonly streaks: Streaks;
}

/** The outage a line return set aside until the line holds. */
export interface HeldOutage extends Outage {
  /** Monotonic ms the outage began. */
  readonly outageStartMs: number;
  /** Monotonic ms the line came back. */
  readonly returnedMs: number;
}

/** The run of changes between line and battery. */
export interface FlapState {
  /** Changes in the run; 0 once a source held for the hold. */
  readonly changes: number;
  /** Readings in a row with the current source, while `changes` > 0. */
  readonly steadyPolls: number;
  /** `power.flapping` was sent and no source has held since. */
  readonly flapping: boolean;
  /** The outage a line return set aside, while the hold lasts. */
  readonly held: HeldOutage | null;
}

/** No run of changes: the power source has held. */
export const SETTLED: FlapState = {
  changes: 0,
  steadyPolls: 0,
  flapping: false,
  held: null,
};

/** The power source after a reading, the outage to go on with, the events. */
export interface PowerChange extends Outage {
  /** On battery per this reading (an unknown source keeps the last one). */
  readonly onBattery: boolean;
  /** The run of changes. */
  readonly flap: FlapState;
  /** `power.on_battery`, `power.restored` or `power.flapping`, if any. */
  readonly events: readonly PowerEvent[];
}

/**
 * Folds a reading's power source into the outage and the run of changes.
 * The streaks and history returned are the ones to continue from; the
 * caller adds this reading's sample and bumps the streaks.
 *
 * @param state The state before the reading.
 * @param reading A reading with a power state (valid, or blind on battery).
 * @param monoMs Monotonic now, ms.
 * @returns The source, the outage, the run of changes and the events.
 */
export function nextPower(
  state: PowerState,
  reading: Reading,
  monoMs: number,
): PowerChange {
  const onBattery = reading.source === "battery" ||
    (reading.source === "unknown" && state.onBattery);
  if (onBattery !== state.onBattery) {
    return onBattery
      ? toBattery(state, reading, monoMs)
      : toLine(state, reading, monoMs);
  }
  const outage = {
    onBattery,
    outageStartMs: state.outageStartMs,
    history: state.history,
    streaks: state.streaks,
  };
  if (onBattery && state.resumed && state.last === null) {
    const event = onBatteryEvent(
      reading,
      `Still on battery after a restart: ${batteryText(reading)}`,
      {
        resumed: true,
        "on_battery_ms": monoMs - (state.outageStartMs ?? monoMs),
      },
    );
    return { ...outage, flap: state.flap, events: [event] };
  }
  const flap = state.flap;
  if (flap.changes === 0) return { ...outage, flap, events: [] };
  const steadyPolls = flap.steadyPolls + 1;
  if (steadyPolls < FLAP_HOLD_POLLS) {
    return { ...outage, flap: { ...flap, steadyPolls }, events: [] };
  }
  const events = flap.flapping
    ? [settledEvent(state, reading, onBattery, monoMs)]
    : [];
  return { ...outage, flap: SETTLED, events };
}

function toBattery(
  state: PowerState,
  reading: Reading,
  monoMs: number,
): PowerChange {
  const held = state.flap.held;
  const outage: Outage = held === null
    ? { outageStartMs: monoMs, history: [], streaks: NO_STREAKS }
    : {
      outageStartMs: held.outageStartMs,
      history: held.history,
      streaks: held.streaks,
    };
  const flap = nextRun(state.flap, null);
  const sinceMs = monoMs - outage.outageStartMs!;
  const events = state.flap.flapping
    ? []
    : flap.flapping
    ? [flappingEvent(flap, reading, true, sinceMs)]
    : [
      onBatteryEvent(
        reading,
        `${held === null ? "On battery" : "On battery again"}: ${
          batteryText(reading)
        }`,
        { resumed: false, "on_battery_ms": sinceMs },
      ),
    ];
  return { ...outage, onBattery: true, flap, events };
}

function toLine(
  state: PowerState,
  reading: Reading,
  monoMs: number,
): PowerChange {
  const start = state.outageStartMs;
  const held: HeldOutage | null = start === null ? null : {
    outageStartMs: start,
    history: state.history,
    streaks: state.streaks,
    returnedMs: monoMs,
  };
  const flap = nextRun(state.flap, held);
  const sinceMs = monoMs - (start ?? monoMs);
  const events = state.flap.flapping
    ? []
    : flap.flapping
    ? [flappingEvent(flap, reading, false, sinceMs)]
    : [
      powerEvent(
        "power.restored",
        `Power restored after ${fmt(sinceMs / 1000, 0)}s on battery: charge ${
          shown(valueOf(reading.charge), "%")
        }`,
        { ...fieldsOf(reading), "on_battery_ms": sinceMs },
      ),
    ];
  return {
    onBattery: false,
    outageStartMs: null,
    history: [],
    streaks: NO_STREAKS,
    flap,
    events,
  };
}

/** The run after one more change; `held` is what the line return keeps. */
function nextRun(flap: FlapState, held: HeldOutage | null): FlapState {
  const changes = flap.changes + 1;
  return {
    changes,
    steadyPolls: 1,
    flapping: flap.flapping || changes >= FLAP_CHANGES,
    held,
  };
}

function fieldsOf(reading: Reading) {
  return {
    charge: valueOf(reading.charge),
    "runtime_s": valueOf(reading.runtime),
    "input_voltage": valueOf(reading.inputVoltage),
    load: valueOf(reading.load),
  };
}

/** "charge 80%, runtime 3000s". */
function batteryText(reading: Reading): string {
  return `charge ${shown(valueOf(reading.charge), "%")}, runtime ${
    shown(valueOf(reading.runtime), "s")
  }`;
}

function onBatteryEvent(
  reading: Reading,
  message: string,
  extra: { resumed: boolean; "on_battery_ms": number; changes?: number },
): PowerEvent {
  return powerEvent("power.on_battery", message, {
    ...fieldsOf(reading),
    ...extra,
  });
}

function flappingEvent(
  flap: FlapState,
  reading: Reading,
  onBattery: boolean,
  sinceMs: number,
): PowerEvent {
  return powerEvent(
    "power.flapping",
    `Power flapping between line and battery: ${flap.changes} changes, each within ${FLAP_HOLD_POLLS} polls of the last; ${
      onBattery ? "on battery" : "on line power"
    } now, charge ${shown(valueOf(reading.charge), "%")}`,
    {
      ...fieldsOf(reading),
      changes: flap.changes,
      "on_battery": onBattery,
      "on_battery_ms": sinceMs,
    },
  );
}

/** The one event that ends flapping, for the source that held. */
function settledEvent(
  state: PowerState,
  reading: Reading,
  onBattery: boolean,
  monoMs: number,
): PowerEvent {
  const { changes, held } = state.flap;
  const sinceMs = onBattery
    ? monoMs - (state.outageStartMs ?? monoMs)
    : held === null
    ? 0
    : held.returnedMs - held.outageStartMs;
  const span = `after flapping for ${
    fmt(sinceMs / 1000, 0)
  }s: ${changes} changes between line and battery`;
  if (onBattery) {
    return onBatteryEvent(
      reading,
      `On battery ${span}, ${batteryText(reading)}`,
      {
        resumed: false,
        "on_battery_ms": sinceMs,
        changes,
      },
    );
  }
  return powerEvent(
    "power.restored",
    `Power restored ${span}, charge ${shown(valueOf(reading.charge), "%")}`,
    { ...fieldsOf(reading), "on_battery_ms": sinceMs, changes },
  );
}
