/**
 * What a kind of notification channel must say about itself: how it packs
 * notifications into a request, which headers it sends, which of its config
 * values are secret and how it reads a rate-limit answer. Each kind fills in
 * {@linkcode ChannelKindSpec} in its own file; `channel_kinds.ts` holds the
 * table. Pure.
 *
 * @module
 * @pure
 */
import { z } from "../schema/mod.ts";
import type { Colors } from "./discord.ts";
import type { IncidentTable } from "./incident.ts";
import type { Notification } from "./notification.ts";
import type { RateLimit } from "./pace.ts";

/** The config a request body may need besides the channel itself. */
export interface BodyOptions {
  /** The configured palette, decimal RGB. */
  colors: Colors;
}

/** The JSON body of one request and how many notifications it carries. */
export interface RequestBody {
  /** Notifications taken from the head of the batch, at least 1. */
  count: number;
  /** The body to POST, JSON text. */
  json: string;
}

/**
 * How a kind keeps one message per shutdown sequence and edits it as the
 * steps start and end (a live per-step table), instead of a message per
 * step. The sender posts it at the first step, edits it with PATCH, and
 * falls back to a message per step when it cannot.
 */
export interface IncidentSpec<C> {
  /** The URL that posts the message and has the receiver answer its id. */
  readonly postUrl: (channel: C) => string;
  /** The URL that edits the message with id `id` (method PATCH). */
  readonly editUrl: (channel: C, id: string) => string;
  /** The message's id from the answer to the post; undefined when none. */
  readonly messageId: (body: string) => string | undefined;
  /** The JSON body that shows `table`, for the post or an edit. */
  readonly body: (
    channel: C,
    table: IncidentTable,
    options: BodyOptions & { edit: boolean },
  ) => string;
}

/**
 * One kind of notification channel, for its config type `C`. Every member is
 * required but the two capabilities at the end: a kind that leaves a
 * required one out does not type-check in the table.
 */
export interface ChannelKindSpec<C> {
  /** The most notifications one request carries. */
  readonly batchSize: number;
  /**
   * The request that carries the head of `batch` (1 to `batchSize`
   * notifications, oldest first); it may take fewer to stay within the
   * receiver's limits.
   */
  readonly body: (
    channel: C,
    batch: readonly Notification[],
    options: BodyOptions,
  ) => RequestBody;
  /** HTTP headers sent besides `content-type`; values may be secret. */
  readonly headers: (channel: C) => Record<string, string>;
  /**
   * Every secret value of the channel (URLs with tokens, header values):
   * masked in logs, command output and the effective config of `check`.
   */
  readonly secrets: (channel: C) => string[];
  /**
   * The wait in seconds that the body of a 429 answer asks for, as the
   * receiver wrote it (the sender rejects NaN, negative and huge values);
   * undefined when the body names none and the `Retry-After` header decides.
   */
  readonly retryAfterSeconds: (body: string) => number | undefined;
  /**
   * The receiver's rate limits: the sender spaces its requests to stay
   * within them and heeds `X-RateLimit-Remaining`/`-Reset-After` answers.
   * Absent: requests go out as soon as they are ready.
   */
  readonly rateLimits?: readonly RateLimit[];
  /** Absent: every step of a shutdown is a message of its own. */
  readonly incident?: IncidentSpec<C>;
}

/**
 * Where a kind sends its requests and how it reads a refusal: what the kinds
 * whose config has no single `url` (ntfy's server and topic, Telegram's bot
 * token in the path) must say besides {@linkcode ChannelKindSpec}. Kinds
 * posting to their configured `url` get it from {@linkcode atChannelUrl}.
 */
export interface ChannelAddress<C> {
  /** The URL requests are POSTed to; may hold a secret (a token in the path). */
  readonly url: (channel: C) => string;
  /** The channel's config key that sets the URL's host, for messages: `url`, `server`, `api_url`. */
  readonly urlKey: string;
  /**
   * The receiver's own words for a refused request, read from the answer's
   * body (Slack's `invalid_payload`, Telegram's `description`); undefined
   * when the body has none. The sender masks secrets and bounds the length.
   */
  readonly errorText: (body: string) => string | undefined;
  /** What an HTTP 404 means for this kind, e.g. `the webhook does not exist (wrong or deleted URL)`. */
  readonly notFound: string;
}

/** Everything the table holds about one kind. */
export type ChannelKindEntry<C> = ChannelKindSpec<C> & ChannelAddress<C>;

/**
 * A kind that posts to its configured `url` (Discord, the generic webhook),
 * with the answer's body left out of messages, as before the table had
 * kinds that read it.
 *
 * @param spec The kind's spec.
 * @returns The spec with its address: the channel's `url`.
 */
export function atChannelUrl<C extends { url: string }>(
  spec: ChannelKindSpec<C>,
): ChannelKindEntry<C> {
  return {
    ...spec,
    url: (channel) => channel.url,
    urlKey: "url",
    errorText: () => undefined,
    notFound: "the webhook does not exist (wrong or deleted URL)",
  };
}

/** A channel URL: http or https only. */
export const httpUrl = z.url({
  protocol: /^https?$/,
  error: "expected an http or https URL",
});

/**
 * Reads `retry_after` (seconds) from a JSON body, Discord's way of saying how
 * long to wait after a 429.
 *
 * @param body The answer's body, possibly cut short or not JSON at all.
 * @returns The number, or undefined when the body has none.
 */
export function jsonRetryAfter(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const value = (parsed as { "retry_after"?: unknown })["retry_after"];
    return typeof value === "number" ? value : undefined;
  } catch {
    return undefined; // not JSON: the Retry-After header decides
  }
}
