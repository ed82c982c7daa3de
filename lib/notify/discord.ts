/**
 * The Discord channel kind: its config, and webhook payloads with one embed
 * per notification, colored by severity, packed several to a message, always
 * inside Discord's documented limits (truncating, never failing). Pure.
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
import {
  incidentEditUrl,
  incidentMessageId,
  incidentPayload,
  incidentPostUrl,
} from "./discord_incident.ts";
import { DISCORD_LIMITS, truncate } from "./discord_limits.ts";
import type { Notification, Severity } from "./notification.ts";

export { DISCORD_LIMITS, truncate };

/** The five colors of the config, decimal RGB. */
export interface Colors {
  red: number;
  orange: number;
  yellow: number;
  green: number;
  blue: number;
}

/** A Discord embed as the webhook API takes it. */
export interface Embed {
  title: string;
  description: string;
  color: number;
  timestamp: string;
  fields: { name: string; value: string; inline: boolean }[];
  footer: { text: string };
}

/** The JSON body of one webhook request. */
export interface DiscordPayload {
  username?: string;
  embeds: Embed[];
  /** No pings: UPS text must never mention @everyone. */
  "allowed_mentions": { parse: never[] };
}

const SEVERITY_COLOR: Record<Severity, keyof Colors> = {
  critical: "red",
  warning: "orange",
  quality: "yellow",
  recovery: "green",
  info: "blue",
};

function size(embed: Embed): number {
  return [...embed.title].length + [...embed.description].length +
    [...embed.footer.text].length +
    embed.fields.reduce(
      (sum, f) => sum + [...f.name].length + [...f.value].length,
      0,
    );
}

/**
 * The embed of one notification, within the per-embed limits.
 *
 * @param notification What happened.
 * @param colors The configured palette.
 * @returns The embed.
 */
export function buildEmbed(notification: Notification, colors: Colors): Embed {
  const fields = Object.entries(notification.fields ?? {})
    .filter(([name, value]) => name !== "" && String(value) !== "")
    .slice(0, DISCORD_LIMITS.fields)
    .map(([name, value]) => ({
      name: truncate(name, DISCORD_LIMITS.fieldName),
      value: truncate(String(value), DISCORD_LIMITS.fieldValue),
      inline: true,
    }));
  return {
    title: truncate(
      notification.title || notification.event,
      DISCORD_LIMITS.title,
    ),
    description: truncate(notification.message, DISCORD_LIMITS.description),
    color: colors[SEVERITY_COLOR[notification.severity]],
    timestamp: new Date(notification.timeMs).toISOString(),
    fields,
    footer: {
      text: truncate(
        `ups-monitor · ${notification.ups}`,
        DISCORD_LIMITS.footer,
      ),
    },
  };
}

/** Shrinks an embed until it fits in `budget` characters: fields first, then the description. */
function fitEmbed(embed: Embed, budget: number): Embed {
  const fitted = { ...embed, fields: [...embed.fields] };
  while (size(fitted) > budget && fitted.fields.length > 0) fitted.fields.pop();
  const excess = size(fitted) - budget;
  if (excess > 0) {
    fitted.description = truncate(
      fitted.description,
      Math.max(1, [...fitted.description].length - excess),
    );
  }
  return fitted;
}

/**
 * Packs embeds into as few messages as the limits allow, in order.
 *
 * @param embeds Embeds in the order they must arrive.
 * @param username Optional sender name.
 * @returns Payloads, each within 10 embeds and 6000 characters.
 */
export function packMessages(
  embeds: readonly Embed[],
  username?: string | null,
): DiscordPayload[] {
  const messages: DiscordPayload[] = [];
  let current: Embed[] = [];
  let used = 0;
  const close = () => {
    if (current.length === 0) return;
    messages.push({
      ...(username ? { username: truncate(username, 80) } : {}),
      embeds: current,
      "allowed_mentions": { parse: [] },
    });
    current = [];
    used = 0;
  };
  for (const embed of embeds) {
    const fitted = fitEmbed(embed, DISCORD_LIMITS.message);
    if (
      current.length === DISCORD_LIMITS.embeds ||
      used + size(fitted) > DISCORD_LIMITS.message
    ) close();
    current.push(fitted);
    used += size(fitted);
  }
  close();
  return messages;
}

/**
 * The number of characters a payload counts against Discord's 6000 limit.
 *
 * @param payload A payload.
 * @returns The sum over its embeds.
 */
export function payloadSize(payload: DiscordPayload): number {
  return payload.embeds.reduce((sum, embed) => sum + size(embed), 0);
}

/** The config of a Discord channel. */
export const discordChannelSchema = z.strictObject({
  kind: z.literal("discord"),
  name: z.string().min(1).default("discord").describe(
    "Label in logs and notify-test.",
  ),
  url: httpUrl.describe(
    "Discord webhook URL (https://discord.com/api/webhooks/ID/TOKEN). Secret: never printed.",
  ),
  username: z.string().min(1).nullable().default(null).describe(
    "Name shown as the sender. Default: the webhook's own.",
  ),
});

/** A configured Discord channel. */
export type DiscordChannel = z.output<typeof discordChannelSchema>;

/**
 * Discord: up to 10 embeds a message within 6000 characters; the token is in
 * the URL; one incident message per shutdown, edited in place.
 *
 * Rate limits: Discord documents no numbers ("should not be hard coded"),
 * only the `X-RateLimit-Limit`, `-Remaining`, `-Reset-After` (seconds) and
 * `-Bucket` headers and a 429 whose JSON body has `retry_after` (seconds)
 * and `global`; the sender heeds both. Observed and widely reported: 5
 * requests per 2 s per webhook (posts and edits alike, failed ones
 * included), so requests are spaced to that too.
 */
export const DISCORD_KIND: ChannelKindSpec<DiscordChannel> = {
  batchSize: DISCORD_LIMITS.embeds,
  body(channel, batch, { colors }) {
    const [first] = packMessages(
      batch.slice(0, DISCORD_LIMITS.embeds).map((n) => buildEmbed(n, colors)),
      channel.username,
    );
    return { count: first!.embeds.length, json: JSON.stringify(first) };
  },
  headers: () => ({}),
  secrets: (channel) => [channel.url],
  retryAfterSeconds: jsonRetryAfter,
  rateLimits: [{ requests: 5, perMs: 2000 }],
  incident: {
    postUrl: (channel) => incidentPostUrl(channel.url),
    editUrl: (channel, id) => incidentEditUrl(channel.url, id),
    messageId: incidentMessageId,
    body: (channel, table, { colors, edit }) =>
      JSON.stringify(
        incidentPayload(table, colors, { username: channel.username, edit }),
      ),
  },
};
