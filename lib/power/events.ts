/**
 * The events the power core emits: stable dotted names (shared/DESIGN.md),
 * a log level, a notification tone and the numbers behind each. Pure.
 *
 * @pure
 * @module
 */
import type { Severity } from "../notify/notification.ts";

/**
 * Every event the power core emits, with its log level and notification
 * tone.
 */
export const POWER_EVENTS = {
  "power.on_battery": ["warning", "warning"],
  "power.restored": ["info", "recovery"],
  "power.flapping": ["warning", "warning"],
  "battery.low_flag": ["warning", "warning"],
  "battery.low_flag_cleared": ["info", "recovery"],
  "voltage.brownout": ["warning", "quality"],
  "voltage.overvoltage": ["warning", "quality"],
  "voltage.normal": ["info", "recovery"],
  "avr.boost": ["info", "quality"],
  "avr.trim": ["info", "quality"],
  "avr.off": ["info", "recovery"],
  "ups.overload": ["warning", "warning"],
  "ups.overload_resolved": ["info", "recovery"],
  "ups.bypass": ["warning", "warning"],
  "ups.bypass_off": ["info", "recovery"],
  "ups.alarm": ["warning", "warning"],
  "ups.alarm_cleared": ["info", "recovery"],
  "connection.lost": ["warning", "warning"],
  "connection.stale": ["warning", "warning"],
  "connection.restored": ["info", "recovery"],
  "fsd.latched_at_start": ["error", "critical"],
  "budget.short": ["warning", "warning"],
  "budget.fits": ["info", "recovery"],
  "supplies.degraded": ["warning", "warning"],
  "supplies.restored": ["info", "recovery"],
  "shutdown.triggered": ["error", "critical"],
  "shutdown.rearmed": ["info", "info"],
} as const satisfies Record<string, readonly [EventLevel, Severity]>;

/** A power event name. */
export type PowerEventName = keyof typeof POWER_EVENTS;

/** Log level of an event, as `lib/system/log.ts` names them. */
export type EventLevel = "info" | "warning" | "error";

/** A field value of an event: JSON-ready. */
export type FieldValue = number | string | boolean | null;

/** One event. */
export interface PowerEvent {
  /** Stable dotted name. */
  readonly name: PowerEventName;
  /** Log level. */
  readonly level: EventLevel;
  /** How bad it is, for the notification: its color and what a full queue drops first. */
  readonly tone: Severity;
  /** For people, with the numbers: "On battery: charge 95%, runtime 1200s". */
  readonly message: string;
  /** The numbers behind it, snake_case keys (they go into JSON logs). */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/**
 * Builds an event; level and tone come from {@linkcode POWER_EVENTS}.
 *
 * @param name The event name.
 * @param message For people, with the numbers.
 * @param fields The numbers behind it.
 * @returns The event.
 */
export function powerEvent(
  name: PowerEventName,
  message: string,
  fields: Record<string, FieldValue>,
): PowerEvent {
  const [level, tone] = POWER_EVENTS[name];
  return { name, level, tone, message, fields };
}

/**
 * Formats a number for messages: at most `decimals` decimals, trailing zeros
 * dropped (`20`, `19.9`, `17.2`), never `-0`.
 *
 * @param n The number.
 * @param decimals Most decimals shown. @default 3
 * @returns Its text.
 */
export function fmt(n: number, decimals = 3): string {
  const text = String(Number(n.toFixed(decimals)));
  return text === "-0" ? "0" : text;
}

/**
 * Rounds a number for event fields and snapshots (three decimals).
 *
 * @param n The number, or null.
 * @returns The rounded number, or null.
 */
export function round3(n: number | null): number | null {
  return n === null ? null : Math.round(n * 1000) / 1000;
}

/**
 * A number with its unit for messages, or "unknown".
 *
 * @param n The number, or null when unknown.
 * @param unit The unit, e.g. `%`, `s`, `V`.
 * @returns E.g. `18%` or `unknown`.
 */
export function shown(n: number | null, unit: string): string {
  return n === null ? "unknown" : `${fmt(n)}${unit}`;
}
