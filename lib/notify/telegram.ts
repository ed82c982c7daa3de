/**
 * The Telegram channel kind: its config, and Bot API `sendMessage` requests
 * whose text (HTML parse mode, every value escaped) carries one or several
 * notifications, each headed by its severity's emoji and bold title, always
 * within Telegram's 4096 characters. Pure.
 *
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import { type ChannelKindEntry, httpUrl } from "./channel_kind.ts";
import type { Notification } from "./notification.ts";
import { cutChars, fieldLines, SEVERITY_EMOJI } from "./text.ts";

/** Telegram's limits on a message (Bot API, `sendMessage`). */
export const TELEGRAM_LIMITS = {
  /**
   * Characters of `text` after entities parsing. Counted here on the HTML
   * as sent, in UTF-16 units, which is never less: always inside.
   */
  text: 4096,
  /** Notifications packed into one message at most. */
  notifications: 10,
  /** Telegram documents none for a line; as Discord's embed title. */
  title: 256,
} as const;

/** The JSON body of one `sendMessage` request. */
export interface TelegramMessage {
  /** A chat id (`-1001234567890`) or a public channel (`@name`). */
  "chat_id": string;
  text: string;
  "parse_mode": "HTML";
}

/**
 * Escapes text for Telegram's HTML parse mode: `&`, `<` and `>` are all it
 * reads as markup outside tags.
 *
 * @param text Any text.
 * @returns The text as HTML.
 */
export function telegramEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/**
 * The HTML block of one notification: emoji and bold title, the message and
 * the fields (cut with a marker so the block fits `maxLength`), the UPS in
 * italics.
 *
 * @param notification What happened.
 * @param maxLength UTF-16 units the block may take, at least 400.
 * @returns The block.
 */
export function telegramBlock(
  notification: Notification,
  maxLength: number = TELEGRAM_LIMITS.text,
): string {
  const head = `${SEVERITY_EMOJI[notification.severity].char} <b>${
    telegramEscape(
      cutChars(notification.title || notification.event, TELEGRAM_LIMITS.title),
    )
  }</b>`;
  const foot = `<i>${
    telegramEscape(
      cutChars(`ups-monitor · ${notification.ups}`, TELEGRAM_LIMITS.title),
    )
  }</i>`;
  const body = [notification.message, ...fieldLines(notification)].join("\n");
  // The body is cut before escaping, so a cut never splits an entity; an
  // escape takes up to 5 units, so the longest head that fits is searched.
  const build = (keep: number) =>
    [head, telegramEscape(cutChars(body, keep)), foot].join("\n");
  let fits = 1;
  let over = [...body].length + 1;
  if (build(over).length <= maxLength) return build(over);
  while (over - fits > 1) {
    const middle = Math.floor((fits + over) / 2);
    if (build(middle).length <= maxLength) fits = middle;
    else over = middle;
  }
  return build(fits);
}

/**
 * The message carrying the head of `batch`: as many blocks as fit in 4096
 * characters, at most {@linkcode TELEGRAM_LIMITS.notifications}, at least
 * one, in order, separated by a blank line.
 *
 * @param chatId The channel's chat.
 * @param batch Notifications, oldest first, at least one.
 * @returns The request body and how many notifications it carries.
 */
export function buildTelegramMessage(
  chatId: string,
  batch: readonly Notification[],
): { message: TelegramMessage; count: number } {
  const blocks: string[] = [];
  let length = 0;
  for (const notification of batch.slice(0, TELEGRAM_LIMITS.notifications)) {
    const block = telegramBlock(notification);
    const added = (blocks.length > 0 ? 2 : 0) + block.length;
    if (blocks.length > 0 && length + added > TELEGRAM_LIMITS.text) break;
    blocks.push(block);
    length += added;
  }
  return {
    message: {
      "chat_id": chatId,
      text: blocks.join("\n\n"),
      "parse_mode": "HTML",
    },
    count: blocks.length,
  };
}

const CHAT_ID_ERROR =
  'expected a chat id such as -1001234567890, or a public channel such as "@ups_alerts"';

/**
 * A chat id: a number, or `@` and a public channel's username; as text
 * (the Bot API takes either, and a number must not read as a duration in
 * the effective config).
 */
const chatIdSchema = z.union([
  z.int(),
  z.string().regex(/^(-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$/, {
    error: CHAT_ID_ERROR,
  }),
], {
  error: (issue) =>
    issue.input === undefined ? "required key is missing" : CHAT_ID_ERROR,
}).transform((id) => String(id));

/** The config of a Telegram channel. */
export const telegramChannelSchema = z.strictObject({
  kind: z.literal("telegram"),
  name: z.string().min(1).default("telegram").describe(
    "Label in logs and notify-test.",
  ),
  "bot_token": z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, {
    error:
      'expected a bot token as @BotFather gives it, such as "123456789:AA…"',
  }).describe(
    "Token of the bot that sends (from @BotFather). Secret: never printed.",
  ),
  "chat_id": chatIdSchema.describe(
    "Chat to send to: a user, group or channel id (groups and channels are negative), or @name of a public channel.",
  ),
  "api_url": httpUrl.default("https://api.telegram.org").describe(
    "Bot API server. Default https://api.telegram.org (or a local Bot API server).",
  ),
});

/** A configured Telegram channel. */
export type TelegramChannel = z.output<typeof telegramChannelSchema>;

/**
 * The URL of a Bot API method for the channel's bot.
 *
 * @param channel A Telegram channel.
 * @param method E.g. `sendMessage`, `getChat`.
 * @returns The URL; it holds the bot token, a secret.
 */
export function telegramMethodUrl(
  channel: TelegramChannel,
  method: string,
): string {
  return `${
    channel.api_url.replace(/\/+$/, "")
  }/bot${channel.bot_token}/${method}`;
}

/** The Bot API's answer when it refuses a request. */
interface BotApiError {
  description?: unknown;
  parameters?: { "retry_after"?: unknown; "migrate_to_chat_id"?: unknown };
}

function parseBotApiError(body: string): BotApiError | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null
      ? parsed as BotApiError
      : undefined;
  } catch {
    return undefined; // not the Bot API's JSON (a proxy's page, cut short)
  }
}

/**
 * What the Bot API said: its `description`, plus the new chat id when a
 * group became a supergroup (the old id then fails for good).
 *
 * @param body The answer's body.
 * @returns The text, or undefined when the body has none.
 */
export function telegramErrorText(body: string): string | undefined {
  const parsed = parseBotApiError(body);
  if (typeof parsed?.description !== "string") return undefined;
  const migrated = parsed.parameters?.migrate_to_chat_id;
  return typeof migrated === "number"
    ? `${parsed.description}; the chat id is now "${migrated}"`
    : parsed.description;
}

/** Telegram: up to 10 notifications a message in 4096 characters; the bot token is secret. */
export const TELEGRAM_KIND: ChannelKindEntry<TelegramChannel> = {
  batchSize: TELEGRAM_LIMITS.notifications,
  body(channel, batch) {
    const { message, count } = buildTelegramMessage(channel.chat_id, batch);
    return { count, json: JSON.stringify(message) };
  },
  headers: () => ({}),
  secrets: (channel) => [channel.bot_token],
  // {"ok":false,"error_code":429,"parameters":{"retry_after":35},…}
  retryAfterSeconds(body) {
    const value = parseBotApiError(body)?.parameters?.retry_after;
    return typeof value === "number" ? value : undefined;
  },
  url: (channel) => telegramMethodUrl(channel, "sendMessage"),
  urlKey: "api_url",
  errorText: telegramErrorText,
  notFound:
    "the Bot API does not know this bot (check the bot token and the API URL)",
};
