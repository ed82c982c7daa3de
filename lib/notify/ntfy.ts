/**
 * The ntfy channel kind: its config, and one message per notification
 * published as JSON to the server's root (docs.ntfy.sh, "Publish as JSON"),
 * with the title, a priority and emoji tags from the severity, the message
 * within ntfy's size limit. Pure.
 *
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import { type ChannelKindEntry, httpUrl } from "./channel_kind.ts";
import type { Notification, Severity } from "./notification.ts";
import {
  bodyErrorText,
  cutBytes,
  cutChars,
  fieldLines,
  SEVERITY_EMOJI,
  utf8Length,
} from "./text.ts";

/** ntfy's limits on a published message (server defaults). */
export const NTFY_LIMITS = {
  /**
   * `message-size-limit`, bytes: a longer message becomes an attachment, or
   * is refused where attachments are off.
   */
  messageBytes: 4096,
  /** A JSON publish body is read up to twice the message limit, bytes. */
  bodyBytes: 8192,
  /** ntfy documents none; a longer title helps nobody on a lock screen. */
  title: 256,
} as const;

/** ntfy priorities: 1 min, 2 low, 3 default, 4 high, 5 max (urgent). */
export type NtfyPriority = 1 | 2 | 3 | 4 | 5;

/**
 * The priority of each severity. Only a shutdown-grade event is urgent;
 * information stays at the default, so a test message is still noticed.
 */
export const NTFY_PRIORITY: Readonly<Record<Severity, NtfyPriority>> = {
  critical: 5,
  warning: 4,
  quality: 3,
  recovery: 3,
  info: 3,
};

/** The JSON body of one publish request. */
export interface NtfyMessage {
  topic: string;
  title: string;
  message: string;
  priority: NtfyPriority;
  /** The severity's emoji shortcode (ntfy shows it before the title), then the event name. */
  tags: string[];
}

/**
 * The message of one notification, within ntfy's limits: the message, the
 * fields as lines and the UPS, cut (with a marker) to fit.
 *
 * @param topic The channel's topic.
 * @param notification What happened.
 * @returns The JSON object to publish.
 */
export function buildNtfyMessage(
  topic: string,
  notification: Notification,
): NtfyMessage {
  const text = [
    notification.message,
    ...fieldLines(notification),
    `ups-monitor · ${notification.ups}`,
  ].join("\n");
  const build = (maxBytes: number): NtfyMessage => ({
    topic,
    title: cutChars(
      notification.title || notification.event,
      NTFY_LIMITS.title,
    ),
    message: cutBytes(text, maxBytes),
    priority: NTFY_PRIORITY[notification.severity],
    tags: [SEVERITY_EMOJI[notification.severity].shortcode, notification.event],
  });
  const fits = (message: NtfyMessage) =>
    utf8Length(JSON.stringify(message)) <= NTFY_LIMITS.bodyBytes;
  const whole = build(NTFY_LIMITS.messageBytes);
  if (fits(whole)) return whole;
  // JSON escapes (a control character takes 6 bytes) outgrew the body limit
  // though the message fits its own: the longest message that fits is
  // searched.
  let low = 16;
  let high: number = NTFY_LIMITS.messageBytes;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (fits(build(middle))) low = middle;
    else high = middle;
  }
  return build(low);
}

/** An ntfy topic: what the server accepts in a topic name. */
const topicSchema = z.string().regex(/^[-_A-Za-z0-9]{1,64}$/, {
  error: 'expected a topic of 1 to 64 letters, digits, "-" or "_"',
});

/** The config of an ntfy channel. */
export const ntfyChannelSchema = z.strictObject({
  kind: z.literal("ntfy"),
  name: z.string().min(1).default("ntfy").describe(
    "Label in logs and notify-test.",
  ),
  server: httpUrl.default("https://ntfy.sh").describe(
    "Base URL of the ntfy server (its root, also behind a path prefix). Default https://ntfy.sh.",
  ),
  topic: topicSchema.describe(
    "Topic to publish to. Without access control anyone who knows it can read along: pick one that is hard to guess, or use a token.",
  ),
  token: z.string().min(1).nullable().default(null).describe(
    "Access token (tk_…), sent as Authorization: Bearer. Secret: never printed. Default none.",
  ),
});

/** A configured ntfy channel. */
export type NtfyChannel = z.output<typeof ntfyChannelSchema>;

/**
 * The server's base URL without trailing slashes.
 *
 * @param channel An ntfy channel.
 * @returns E.g. `https://ntfy.sh` or `https://example.net/ntfy`.
 */
export function ntfyBase(channel: NtfyChannel): string {
  return channel.server.replace(/\/+$/, "");
}

/** ntfy: one message a request, JSON to the server's root; the token is secret. */
export const NTFY_KIND: ChannelKindEntry<NtfyChannel> = {
  batchSize: 1,
  body: (channel, batch) => ({
    count: 1,
    json: JSON.stringify(buildNtfyMessage(channel.topic, batch[0]!)),
  }),
  headers: (channel): Record<string, string> =>
    channel.token === null ? {} : { authorization: `Bearer ${channel.token}` },
  secrets: (channel) => channel.token === null ? [] : [channel.token],
  // ntfy's 429 names no wait (neither body nor header): the default applies.
  retryAfterSeconds: () => undefined,
  url: (channel) => `${ntfyBase(channel)}/`,
  urlKey: "server",
  // {"code":40101,"http":401,"error":"unauthorized","link":"…"}
  errorText: (body) => bodyErrorText(body, ["error"]),
  notFound: "there is no ntfy server at this address (check the server URL)",
};
