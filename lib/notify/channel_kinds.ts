/**
 * The table of notification channel kinds. The config accepts the kinds
 * listed in {@linkcode CHANNEL_SCHEMAS}; {@linkcode CHANNEL_KINDS} must have
 * an entry for each, or the type check fails. The sender, `notify-test`,
 * masking and the effective config of `check` all look a channel up here.
 *
 * Adding a kind: a new file with its config schema and its
 * {@linkcode ChannelKindEntry} (a `ChannelKindSpec` plus where it
 * posts and how it reads a refusal), then one line in each list below.
 *
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import {
  atChannelUrl,
  type BodyOptions,
  type ChannelKindEntry,
  type IncidentSpec,
  type RequestBody,
} from "./channel_kind.ts";
import { DISCORD_KIND, discordChannelSchema } from "./discord.ts";
import type { IncidentTable } from "./incident.ts";
import type { Notification } from "./notification.ts";
import { NTFY_KIND, ntfyChannelSchema } from "./ntfy.ts";
import { SLACK_KIND, slackChannelSchema } from "./slack.ts";
import { TELEGRAM_KIND, telegramChannelSchema } from "./telegram.ts";
import type { RateLimit } from "./pace.ts";
import { WEBHOOK_KIND, webhookChannelSchema } from "./webhook.ts";

/** The config schema of every channel kind: the kinds a config may name. */
const CHANNEL_SCHEMAS = [
  discordChannelSchema,
  webhookChannelSchema,
  ntfyChannelSchema,
  slackChannelSchema,
  telegramChannelSchema,
] as const;

/** A notification channel of the config. */
export type ChannelConfig = z.output<(typeof CHANNEL_SCHEMAS)[number]>;

/** The kind of a channel: `discord`, `webhook`, `ntfy`, `slack`, `telegram`. */
export type ChannelKind = ChannelConfig["kind"];

/** The config type of the channels of one kind. */
export type ChannelOf<K extends ChannelKind> = Extract<
  ChannelConfig,
  { kind: K }
>;

/** The spec of every channel kind, keyed by kind. */
export const CHANNEL_KINDS: {
  [K in ChannelKind]: ChannelKindEntry<ChannelOf<K>>;
} = {
  discord: atChannelUrl(DISCORD_KIND),
  webhook: atChannelUrl(WEBHOOK_KIND),
  ntfy: NTFY_KIND,
  slack: SLACK_KIND,
  telegram: TELEGRAM_KIND,
};

/** The config of one channel: any kind of the table, chosen by `kind`. */
export const channelSchema = z.discriminatedUnion("kind", CHANNEL_SCHEMAS, {
  error: `expected a channel with kind ${
    orList(CHANNEL_SCHEMAS.map((schema) => `"${schema.shape.kind.value}"`))
  }`,
});

/** A channel's kind with the channel bound: what the shell calls. */
export interface BoundChannelKind {
  /** The most notifications one request carries. */
  batchSize: number;
  /** The request carrying the head of `batch`, and how many it took. */
  body(batch: readonly Notification[], options: BodyOptions): RequestBody;
  /** HTTP headers besides `content-type`; values may be secret. */
  headers(): Record<string, string>;
  /** Every secret value of the channel. */
  secrets(): string[];
  /** The wait in seconds a 429 body asks for, if it names one. */
  retryAfterSeconds(body: string): number | undefined;
  /** The URL requests go to; may hold a secret. */
  url(): string;
  /** The channel's config key that sets the URL's host: `url`, `server`, `api_url`. */
  urlKey: string;
  /** What the receiver said in a refusal's body, if anything. */
  errorText(body: string): string | undefined;
  /** What an HTTP 404 means for this kind. */
  notFound: string;
  /** The receiver's rate limits; empty when the kind declares none. */
  rateLimits: readonly RateLimit[];
  /** The incident message capability; null: a message per step. */
  incident: BoundIncident | null;
}

/** A kind's incident message, bound to the channel. */
export interface BoundIncident {
  /** The URL of the post that answers the message's id. */
  postUrl(): string;
  /** The URL that edits message `id` (PATCH). */
  editUrl(id: string): string;
  /** The id in the answer to the post, if any. */
  messageId(body: string): string | undefined;
  /** The JSON body showing `table`. */
  body(table: IncidentTable, options: BodyOptions & { edit: boolean }): string;
}

/**
 * The kind of `channel` from the table, bound to the channel.
 *
 * @param channel A configured channel.
 * @returns Its kind's functions, applied to it.
 */
export function channelKindOf(channel: ChannelConfig): BoundChannelKind {
  return bind(channel.kind, channel);
}

/** Looks the kind up with `kind` as a type parameter, so the entry found takes exactly this channel's type. */
function bind<K extends ChannelKind>(
  kind: K,
  channel: ChannelOf<K>,
): BoundChannelKind {
  const spec: ChannelKindEntry<ChannelOf<K>> = CHANNEL_KINDS[kind];
  return {
    batchSize: spec.batchSize,
    body: (batch, options) => spec.body(channel, batch, options),
    headers: () => spec.headers(channel),
    secrets: () => spec.secrets(channel),
    retryAfterSeconds: (body) => spec.retryAfterSeconds(body),
    url: () => spec.url(channel),
    urlKey: spec.urlKey,
    errorText: (body) => spec.errorText(body),
    notFound: spec.notFound,
    rateLimits: spec.rateLimits ?? [],
    incident: bindIncident(spec.incident, channel),
  };
}

function bindIncident<C>(
  incident: IncidentSpec<C> | undefined,
  channel: C,
): BoundIncident | null {
  if (incident === undefined) return null;
  return {
    postUrl: () => incident.postUrl(channel),
    editUrl: (id) => incident.editUrl(channel, id),
    messageId: (body) => incident.messageId(body),
    body: (table, options) => incident.body(channel, table, options),
  };
}

/** `"a"`, `"a" or "b"`, `"a", "b" or "c"`. */
function orList(items: readonly string[]): string {
  return items.length <= 1
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}
