/**
 * The generic webhook channel's body: one JSON object per event, for ntfy,
 * Gotify, Home Assistant or any receiver that takes a JSON POST. Pure.
 *
 * @pure
 * @module
 */
import type { Notification, Severity } from "./notification.ts";

/** What a generic webhook receives for one event. */
export interface WebhookBody {
  /** Stable dotted event name, e.g. `power.on_battery`. */
  event: string;
  /** critical, warning, quality, recovery or info. */
  severity: Severity;
  /** The UPS as configured. */
  ups: string;
  /** Short title. */
  title: string;
  /** One or two sentences. */
  message: string;
  /** The numbers behind the event (charge, runtime, voltage, reason…). */
  fields: Record<string, string | number>;
  /** ISO 8601 time of the event. */
  time: string;
  /** Slack-compatible receivers show this. */
  text: string;
}

/**
 * Builds the body of one notification.
 *
 * @param notification What happened.
 * @returns The JSON object to POST.
 */
export function buildWebhookBody(notification: Notification): WebhookBody {
  return {
    event: notification.event,
    severity: notification.severity,
    ups: notification.ups,
    title: notification.title,
    message: notification.message,
    fields: { ...notification.fields },
    time: new Date(notification.timeMs).toISOString(),
    text: `${notification.title}: ${notification.message}`,
  };
}
