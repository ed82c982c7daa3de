/**
 * Input voltage: the brownout and over-voltage thresholds and the state
 * machine between normal, brownout and over-voltage, with hysteresis. Pure.
 *
 * @pure
 * @module
 */
import type { Config } from "../config/schema.ts";
import { fmt, type PowerEvent, powerEvent } from "./events.ts";
import { type Reading, valueOf } from "./reading.ts";

/** The voltage settings, `triggers.voltage`. */
export type VoltageConfig = Config["triggers"]["voltage"];

/** Standard grid voltages a reported nominal voltage is snapped to. */
export const GRID_VOLTAGES: readonly number[] = [
  100,
  110,
  115,
  120,
  127,
  200,
  208,
  220,
  230,
  240,
];

/** Voltage state. */
export type VoltageState = "normal" | "brownout" | "overvoltage";

/** Brownout and over-voltage thresholds, V; null where none applies. */
export interface VoltageThresholds {
  /** Below this: brownout. */
  readonly brownout: number | null;
  /** Above this: over-voltage. */
  readonly overvoltage: number | null;
  /** The grid voltage the derived thresholds rest on. */
  readonly nominal: number | null;
  /** Hysteresis, V: a state is left this far inside its threshold. */
  readonly hysteresis: number;
}

/**
 * Snaps a reported nominal voltage to the nearest standard grid voltage when
 * it is within 10 % of one (a `input.voltage.nominal` of 235 or 228 is 230).
 *
 * @param volts The reported nominal, V.
 * @returns The grid voltage, or `volts` when none is near.
 */
export function snapNominal(volts: number): number {
  let best = volts;
  let distance = Infinity;
  for (const grid of GRID_VOLTAGES) {
    const d = Math.abs(grid - volts);
    if (d < distance && d <= grid * 0.1) [best, distance] = [grid, d];
  }
  return best;
}

/**
 * The brownout and over-voltage thresholds for a reading. Set by hand they
 * are used as they are. Derived, they are the nominal (snapped, else the
 * middle of the transfer window) ± `margin_percent`, moved inside
 * `input.transfer.low/high` when those are known, by 1 % of the nominal, so
 * the warning comes before the UPS transfers to battery.
 *
 * @param reading The reading (nominal and transfer voltages).
 * @param config `triggers.voltage`.
 * @returns The thresholds.
 */
export function voltageThresholds(
  reading: Reading,
  config: VoltageConfig,
): VoltageThresholds {
  const { brownout, overvoltage } = config;
  const margin = config["margin_percent"] / 100;
  const low = valueOf(reading.transferLow);
  const high = valueOf(reading.transferHigh);
  const window = low !== null && high !== null && low < high;
  const reported = valueOf(reading.nominalVoltage);
  const guess = reported ?? (window ? (low + high) / 2 : null);
  const snapped = guess === null ? null : snapNominal(guess);
  // Below 90 V no mains nominal: a bogus or battery-side value.
  const nominal = snapped !== null && snapped >= 90 ? snapped : null;
  const inside = nominal === null ? 0 : Math.max(1, nominal * 0.01);
  let derivedLow = nominal === null ? null : nominal * (1 - margin);
  let derivedHigh = nominal === null ? null : nominal * (1 + margin);
  if (window && derivedLow !== null && derivedHigh !== null) {
    if (low < nominal! && derivedLow <= low) derivedLow = low + inside;
    if (high > nominal! && derivedHigh >= high) derivedHigh = high - inside;
  }
  const base = nominal ?? brownout ?? overvoltage ?? 0;
  return {
    brownout: brownout ?? round1(derivedLow),
    overvoltage: overvoltage ?? round1(derivedHigh),
    nominal,
    hysteresis: Math.max(1, base * 0.01),
  };
}

function round1(n: number | null): number | null {
  return n === null ? null : Math.round(n * 10) / 10;
}

/**
 * The next voltage state: brownout below the brownout threshold, over-voltage
 * above the over-voltage one; either is left only once the voltage is
 * `hysteresis` inside its threshold.
 *
 * @param state The current state.
 * @param volts The input voltage, V.
 * @param t The thresholds.
 * @returns The next state.
 */
export function nextVoltage(
  state: VoltageState,
  volts: number,
  t: VoltageThresholds,
): VoltageState {
  const below = t.brownout !== null && volts < t.brownout;
  const above = t.overvoltage !== null && volts > t.overvoltage;
  if (below) return "brownout";
  if (above) return "overvoltage";
  if (
    state === "brownout" && t.brownout !== null &&
    volts < t.brownout + t.hysteresis
  ) return state;
  if (
    state === "overvoltage" && t.overvoltage !== null &&
    volts > t.overvoltage - t.hysteresis
  ) return state;
  return "normal";
}

/**
 * The event of entering a voltage state.
 *
 * @param state The new state.
 * @param volts The input voltage, V.
 * @param t The thresholds.
 * @returns The event.
 */
export function voltageEvent(
  state: VoltageState,
  volts: number,
  t: VoltageThresholds,
): PowerEvent {
  const fields = {
    "input_voltage": volts,
    "brownout_v": t.brownout,
    "overvoltage_v": t.overvoltage,
    "nominal_v": t.nominal,
  };
  if (state === "brownout") {
    return powerEvent(
      "voltage.brownout",
      `Brownout: input ${fmt(volts)}V < ${fmt(t.brownout!)}V`,
      fields,
    );
  }
  if (state === "overvoltage") {
    return powerEvent(
      "voltage.overvoltage",
      `Over-voltage: input ${fmt(volts)}V > ${fmt(t.overvoltage!)}V`,
      fields,
    );
  }
  return powerEvent(
    "voltage.normal",
    `Input voltage normal: ${fmt(volts)}V`,
    fields,
  );
}
