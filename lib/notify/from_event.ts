/**
 * Turns log events (power events, shutdown steps, service lifecycle) into
 * notifications with a title a person reads first. Pure.
 *
 * @pure
 * @module
 */
import type { Notification, Severity } from "./notification.ts";

/** Titles by event name; anything else is titled by its name. */
const TITLES: Record<string, string> = {
  "power.on_battery": "On battery",
  "power.restored": "Power restored",
  "power.flapping": "Power flapping",
  "battery.low_flag": "Low battery flag",
  "battery.low_flag_cleared": "Low battery flag cleared",
  "voltage.brownout": "Brownout",
  "voltage.overvoltage": "Over-voltage",
  "voltage.normal": "Voltage normal",
  "avr.boost": "AVR boosting",
  "avr.trim": "AVR trimming",
  "avr.off": "AVR off",
  "ups.overload": "UPS overloaded",
  "ups.overload_resolved": "Overload resolved",
  "ups.bypass": "UPS on bypass",
  "ups.bypass_off": "UPS off bypass",
  "ups.alarm": "UPS alarm",
  "ups.alarm_cleared": "UPS alarm cleared",
  "connection.lost": "Connection to the UPS lost",
  "connection.stale": "UPS data stale",
  "connection.restored": "Connection to the UPS restored",
  "fsd.latched_at_start": "FSD latched at start",
  "shutdown.triggered": "Shutdown triggered",
  "shutdown.rearmed": "Shutdown re-armed",
  "shutdown.step": "Shutdown step",
  "shutdown.action": "Shutdown action",
  "shutdown.complete": "Shutdown sequence complete",
  "monitor.started": "Monitor started",
  "monitor.stopped": "Monitor stopped",
  "remote.no_host_key": "Remote host key missing",
  "dependency.missing": "Command missing",
  "readiness.not_ready": "Not ready for an outage",
  "readiness.ready": "Ready again",
};

/** An event as the power core and the shell produce it. */
export interface EventLike {
  /** Stable dotted name. */
  name: string;
  /** How bad it is. */
  tone: Severity;
  /** For people, with the numbers. */
  message: string;
  /** The numbers behind it. */
  fields?: Readonly<Record<string, string | number | boolean | null>>;
}

/**
 * The notification of an event.
 *
 * @param event The event.
 * @param ups The configured UPS name.
 * @param timeMs Wall-clock time of the event, ms since the epoch.
 * @returns The notification.
 */
export function notificationOf(
  event: EventLike,
  ups: string,
  timeMs: number,
): Notification {
  const fields: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(event.fields ?? {})) {
    if (value !== null && value !== undefined) {
      fields[key] = typeof value === "boolean" ? String(value) : value;
    }
  }
  return {
    event: event.name,
    severity: event.tone,
    title: TITLES[event.name] ?? event.name,
    message: event.message,
    ups,
    fields,
    timeMs,
  };
}
