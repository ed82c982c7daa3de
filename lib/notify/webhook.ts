/**
 * The generic webhook channel kind: its config, and one JSON object per
 * event, for ntfy, Gotify, Home Assistant or any receiver that takes a JSON
 * POST. Pure.
 *
 * @pure
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import {
  type ChannelKindSpec,
  httpUrl,
  jsonRetryAfter,
} from "./channel_kind.ts";
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

/** The config of a generic webhook channel. */
export const webhookChannelSchema = z.strictObject({
  kind: z.literal("webhook"),
  name: z.string().min(1).default("webhook").describe(
    "Label in logs and notify-test.",
  ),
  url: httpUrl.describe(
    "URL that receives a JSON POST per event. Secret: never printed.",
  ),
  headers: z.record(z.string(), z.string()).default({}).describe(
    "Extra HTTP headers (e.g. Authorization). Values are secret: never printed.",
  ),
});

/** A configured generic webhook channel. */
export type WebhookChannel = z.output<typeof webhookChannelSchema>;

/** A generic webhook: one event a request; the URL and header values are secret. */
export const WEBHOOK_KIND: ChannelKindSpec<WebhookChannel> = {
  batchSize: 1,
  body: (_channel, batch) => ({
    count: 1,
    json: JSON.stringify(buildWebhookBody(batch[0]!)),
  }),
  headers: (channel) => channel.headers,
  secrets: (channel) => [channel.url, ...Object.values(channel.headers)],
  retryAfterSeconds: jsonRetryAfter,
};
