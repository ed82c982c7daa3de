/**
 * The Slack channel kind, for Slack incoming webhooks and Mattermost's
 * Slack-compatible ones: its config, and messages with a short `text` (the
 * push notification) and one colored attachment per notification, several
 * to a message, always within the limits below. Attachments, not Block Kit:
 * Mattermost renders attachments and their color bar, not Slack's blocks.
 * Pure.
 *
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import type { BodyOptions, ChannelKindEntry } from "./channel_kind.ts";
import { httpUrl } from "./channel_kind.ts";
import type { Colors } from "./discord.ts";
import type { Notification, Severity } from "./notification.ts";
import { bodyErrorText, charLength, cutChars, SEVERITY_EMOJI } from "./text.ts";

/** The limits a message keeps. */
export const SLACK_LIMITS = {
  /** Slack advises at most 4,000 characters of `text` (it cuts at 40,000). */
  text: 4000,
  /**
   * Attachments a message carries: Slack suggests no more than 20 (and
   * refuses over 100); 10 keeps a burst readable, as Discord's 10 embeds.
   */
  attachments: 10,
  /**
   * Characters of one message across its attachments: far inside Slack's
   * 40,000 and the 16,383 of a Mattermost post.
   */
  message: 6000,
  /** One attachment's text: the 3,000 of a Slack section, the nearest documented limit. */
  attachmentText: 3000,
  /** Neither service documents one; as Discord's embed title. */
  title: 256,
  /** Fields shown at most, as Discord's 25. */
  fields: 25,
} as const;

/** The color key of each severity in the configured palette. */
const SEVERITY_COLOR: Record<Severity, keyof Colors> = {
  critical: "red",
  warning: "orange",
  quality: "yellow",
  recovery: "green",
  info: "blue",
};

/** A (legacy) message attachment, which both Slack and Mattermost render. */
export interface SlackAttachment {
  /** Plain text for notifications and clients without formatting. */
  fallback: string;
  /** The left bar, `#rrggbb`. */
  color: string;
  title: string;
  text: string;
  fields: { title: string; value: string; short: boolean }[];
  footer: string;
  /** Time of the event, seconds since the epoch. */
  ts: number;
}

/** The JSON body of one webhook request. */
export interface SlackPayload {
  /** Shown above the attachments and in push notifications. */
  text: string;
  attachments: SlackAttachment[];
  /** Mattermost, and Slack's legacy webhooks, honour it; app webhooks ignore it. */
  username?: string;
}

/**
 * Escapes what Slack reads as markup in any text (`&`, `<`, `>`: links and
 * `<!channel>` mentions) and breaks `@name` with a word joiner, which
 * Mattermost would read as a mention: UPS text never pings anyone.
 *
 * @param text Any text.
 * @returns The text, safe to post.
 */
export function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll("@", "@\u2060");
}

/**
 * A palette color as Slack writes it.
 *
 * @param rgb Decimal RGB, e.g. 15158332.
 * @returns E.g. `#e74c3c`.
 */
export function hexColor(rgb: number): string {
  return `#${rgb.toString(16).padStart(6, "0")}`;
}

/**
 * The attachment of one notification, unescaped, within the per-attachment
 * limits; {@linkcode slackEscape} applies when it is sent.
 *
 * @param notification What happened.
 * @param colors The configured palette.
 * @returns The attachment, its `fallback` left empty.
 */
export function buildAttachment(
  notification: Notification,
  colors: Colors,
): SlackAttachment {
  return {
    fallback: "",
    color: hexColor(colors[SEVERITY_COLOR[notification.severity]]),
    title: cutChars(
      notification.title || notification.event,
      SLACK_LIMITS.title,
    ),
    text: cutChars(notification.message, SLACK_LIMITS.attachmentText),
    fields: Object.entries(notification.fields ?? {})
      .filter(([name, value]) => name !== "" && String(value) !== "")
      .slice(0, SLACK_LIMITS.fields)
      .map(([name, value]) => ({
        title: cutChars(name, SLACK_LIMITS.title),
        value: cutChars(String(value), 1024),
        short: true,
      })),
    footer: cutChars(`ups-monitor · ${notification.ups}`, SLACK_LIMITS.title),
    ts: Math.floor(notification.timeMs / 1000),
  };
}

/**
 * The characters an unescaped attachment counts against
 * {@linkcode SLACK_LIMITS.message}, its fallback (`title: text`) included.
 *
 * @param attachment An attachment from {@linkcode buildAttachment}.
 * @returns The sum over its texts.
 */
export function attachmentSize(attachment: SlackAttachment): number {
  return 2 * charLength(attachment.title) + 2 * charLength(attachment.text) +
    2 + charLength(attachment.footer) +
    attachment.fields.reduce(
      (sum, field) => sum + charLength(field.title) + charLength(field.value),
      0,
    );
}

/** Shrinks an attachment into `budget` characters: fields first, then its text. */
function fitAttachment(
  attachment: SlackAttachment,
  budget: number,
): SlackAttachment {
  const fitted = { ...attachment, fields: [...attachment.fields] };
  while (attachmentSize(fitted) > budget && fitted.fields.length > 0) {
    fitted.fields.pop();
  }
  const excess = attachmentSize(fitted) - budget;
  if (excess > 0) {
    // The text counts twice (it is in the fallback too).
    const keep = charLength(fitted.text) - Math.ceil(excess / 2);
    fitted.text = cutChars(fitted.text, Math.max(1, keep));
  }
  return fitted;
}

/** The attachment as sent: every text escaped, the fallback filled in. */
function escapeAttachment(attachment: SlackAttachment): SlackAttachment {
  return {
    ...attachment,
    fallback: slackEscape(`${attachment.title}: ${attachment.text}`),
    title: slackEscape(attachment.title),
    text: slackEscape(attachment.text),
    fields: attachment.fields.map((field) => ({
      ...field,
      title: slackEscape(field.title),
      value: slackEscape(field.value),
    })),
    footer: slackEscape(attachment.footer),
  };
}

/**
 * The message carrying the head of `batch`: as many attachments as fit in
 * {@linkcode SLACK_LIMITS} (counted before escaping, which at most quintuples
 * a text: still within Slack's 40,000), at least one, in order.
 *
 * @param batch Notifications, oldest first, at least one.
 * @param colors The configured palette.
 * @param username Optional sender name.
 * @returns The payload and how many notifications it carries.
 */
export function buildSlackPayload(
  batch: readonly Notification[],
  colors: Colors,
  username: string | null,
): { payload: SlackPayload; count: number } {
  const attachments: SlackAttachment[] = [];
  let used = 0;
  for (const notification of batch.slice(0, SLACK_LIMITS.attachments)) {
    const fitted = fitAttachment(
      buildAttachment(notification, colors),
      SLACK_LIMITS.message,
    );
    const size = attachmentSize(fitted);
    if (attachments.length > 0 && used + size > SLACK_LIMITS.message) break;
    attachments.push(escapeAttachment(fitted));
    used += size;
  }
  const first = batch[0]!;
  const more = attachments.length > 1
    ? ` (and ${attachments.length - 1} more)`
    : "";
  const text = `:${SEVERITY_EMOJI[first.severity].shortcode}: ${
    slackEscape(cutChars(first.title || first.event, SLACK_LIMITS.title))
  }${more}`;
  return {
    payload: {
      text: cutChars(text, SLACK_LIMITS.text),
      attachments,
      ...(username ? { username: cutChars(username, 80) } : {}),
    },
    count: attachments.length,
  };
}

/** The config of a Slack (or Mattermost) incoming webhook channel. */
export const slackChannelSchema = z.strictObject({
  kind: z.literal("slack"),
  name: z.string().min(1).default("slack").describe(
    "Label in logs and notify-test.",
  ),
  url: httpUrl.describe(
    "Incoming webhook URL (Slack: https://hooks.slack.com/services/…; Mattermost: https://HOST/hooks/…). Secret: never printed.",
  ),
  username: z.string().min(1).nullable().default(null).describe(
    "Name shown as the sender where the receiver allows it (Mattermost, Slack's legacy webhooks). Default: the webhook's own.",
  ),
});

/** A configured Slack or Mattermost channel. */
export type SlackChannel = z.output<typeof slackChannelSchema>;

/**
 * The token part of a webhook URL, its last path segment (Slack's
 * `…/T0/B0/TOKEN`, Mattermost's `…/hooks/TOKEN`), so an answer that quotes it
 * alone is masked too; none when it is too short to be a token, as masking a
 * common word would garble every log line.
 *
 * @param url A webhook URL.
 * @returns The token, or nothing.
 */
export function webhookToken(url: string): string[] {
  const path = /^[a-z]+:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] ?? "";
  const last = path.split("/").filter((segment) => segment !== "").at(-1);
  return last !== undefined && last.length >= 16 ? [last] : [];
}

/** Slack and Mattermost: up to 10 attachments a message; the URL (its token) is the secret. */
export const SLACK_KIND: ChannelKindEntry<SlackChannel> = {
  batchSize: SLACK_LIMITS.attachments,
  body(channel, batch, { colors }: BodyOptions) {
    const { payload, count } = buildSlackPayload(
      batch,
      colors,
      channel.username,
    );
    return { count, json: JSON.stringify(payload) };
  },
  headers: () => ({}),
  secrets: (channel) => [channel.url, ...webhookToken(channel.url)],
  // Slack says how long to wait in the Retry-After header, not the body.
  retryAfterSeconds: () => undefined,
  url: (channel) => channel.url,
  urlKey: "url",
  // Slack answers plain text ("invalid_payload", "no_service"), Mattermost
  // JSON with a "message".
  errorText: (body) => bodyErrorText(body, ["message", "error"]),
  notFound: "the webhook does not exist (wrong or deleted URL)",
};
