/**
 * The readiness check of each notification channel: one GET that sends no
 * message (a webhook's own URL, ntfy's health endpoint, Telegram's
 * `getChat`, the host of a Slack webhook), never a POST. Redirects are
 * reported, not followed; the body read is bounded; a URL with a token is
 * never part of a detail. What each kind asks and what its answer proves is
 * a table keyed by channel kind.
 *
 * @module
 */
import type { ChannelConfig, Config } from "../config/schema.ts";
import {
  type ChannelKind,
  channelKindOf,
  type ChannelOf,
} from "../notify/channel_kinds.ts";
import { NTFY_KIND, ntfyBase } from "../notify/ntfy.ts";
import { MAX_RESPONSE_BYTES, readBounded } from "../notify/post.ts";
import { telegramMethodUrl } from "../notify/telegram.ts";
import { cutChars } from "../notify/text.ts";
import { escapeControls, redact } from "../system/log.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";

/** The GET a probe sends. */
export interface ProbeRequest {
  /** Where to; may hold a secret. */
  url: string;
  /** Headers; values may be secret. */
  headers: Record<string, string>;
}

/** How a kind of channel is checked without sending a message. */
export interface ChannelProbe<C> {
  /** The GET that checks the channel. */
  readonly request: (channel: C) => ProbeRequest;
  /** Whether the status proves what {@linkcode ChannelProbe.proves} says. */
  readonly reachable: (status: number) => boolean;
  /** What a reachable answer proves, e.g. `the webhook exists`. */
  readonly proves: (channel: C) => string;
  /**
   * What an unreachable status means and the fix, where the kind knows better
   * than the generic reading; `said` is the receiver's own error text.
   */
  readonly problem: (
    status: number,
    key: string,
    said: string | undefined,
  ) => string | undefined;
}

/** The probe of every channel kind. */
export const CHANNEL_PROBES: {
  readonly [K in ChannelKind]: ChannelProbe<ChannelOf<K>>;
} = {
  // Discord answers a GET of a webhook URL with the webhook's info (200),
  // an unknown webhook with 404 and a wrong token with 401.
  discord: {
    request: (channel) => ({ url: channel.url, headers: {} }),
    reachable: (status) => status >= 200 && status < 300,
    proves: () => "the webhook exists",
    problem: () => undefined,
  },
  // A generic receiver need not serve GET at all: 405 (method not allowed)
  // still proves that the URL routes to a live receiver that takes POST.
  // The same headers as a POST, so a receiver that checks a token answers
  // as it will in an outage.
  webhook: {
    request: (channel) => ({ url: channel.url, headers: channel.headers }),
    reachable: (status) => (status >= 200 && status < 300) || status === 405,
    proves: () => "the receiver answers",
    problem: () => undefined,
  },
  // ntfy's health endpoint, with the token: ntfy authenticates a token on
  // every request (a wrong one gets 401), so this proves server and token.
  // Write access to the topic shows only by publishing, which is not done.
  ntfy: {
    request: (channel) => ({
      url: `${ntfyBase(channel)}/v1/health`,
      headers: NTFY_KIND.headers(channel),
    }),
    reachable: (status) => status >= 200 && status < 300,
    proves: (channel) =>
      channel.token === null
        ? "the server is healthy"
        : "the server is healthy and accepts the token",
    problem(status, key) {
      if (status === 401 || status === 403) {
        return `the server refused the token: check ${key}.token`;
      }
      if (status === 404) {
        return `the server has no health endpoint ("/v1/health"): check that ${key}.server is the root of an ntfy server`;
      }
      return undefined;
    },
  },
  // Slack (and Mattermost) offer no way to check a webhook without posting
  // to it: a GET of the host's root, without the secret path, proves only
  // that DNS, the connection and TLS work and that the host answers.
  slack: {
    request: (channel) => ({
      url: `${new URL(channel.url).origin}/`,
      headers: {},
    }),
    reachable: (status) => status < 500,
    proves: () =>
      "the host answers (the webhook itself cannot be checked without posting)",
    problem: () => undefined,
  },
  // getChat reads the chat with the bot's token: it proves the token (401
  // or 404 otherwise) and that the bot can see the chat (400 or 403).
  telegram: {
    request: (channel) => ({
      url: `${telegramMethodUrl(channel, "getChat")}?chat_id=${
        encodeURIComponent(channel.chat_id)
      }`,
      headers: {},
    }),
    reachable: (status) => status >= 200 && status < 300,
    proves: () => "the bot token works and the bot can see the chat",
    problem(status, key, said) {
      const quoted = said === undefined ? "" : ` ("${said}")`;
      if (status === 401) {
        return `the Bot API refused the bot token${quoted}: check ${key}.bot_token`;
      }
      if (status === 404) {
        return `the Bot API does not know this bot${quoted}: check ${key}.bot_token and ${key}.api_url`;
      }
      if (status === 400 || status === 403) {
        return `the bot cannot reach the chat${quoted}: check ${key}.chat_id and that the bot is a member of the chat`;
      }
      return undefined;
    },
  },
};

/** A channel's probe from the table, bound to the channel. */
interface BoundProbe {
  request: ProbeRequest;
  reachable(status: number): boolean;
  proves: string;
  problem(
    status: number,
    key: string,
    said: string | undefined,
  ): string | undefined;
}

/** Looks the probe up with `kind` as a type parameter, as `channelKindOf` does. */
function bindProbe<K extends ChannelKind>(
  kind: K,
  channel: ChannelOf<K>,
): BoundProbe {
  const probe: ChannelProbe<ChannelOf<K>> = CHANNEL_PROBES[kind];
  return {
    request: probe.request(channel),
    reachable: probe.reachable,
    proves: probe.proves(channel),
    problem: probe.problem,
  };
}

/**
 * One check per channel, id `channels.<index>`, titled by the channel's name.
 *
 * @param config A validated config.
 * @returns The checks, in config order.
 */
export function channelChecks(
  config: Config,
): ReadinessCheck<ReadinessContext>[] {
  return config.notifications.channels.map((channel, index) => ({
    id: `channels.${index}`,
    title: `Channel "${channel.name}"`,
    run: (context) => probeChannel(channel, index, context),
  }));
}

async function probeChannel(
  channel: ChannelConfig,
  index: number,
  context: ReadinessContext,
): Promise<CheckResult> {
  const kind = channelKindOf(channel);
  const probe = bindProbe(channel.kind, channel);
  const key = `notifications.channels.${index}`;
  let response: Response;
  let body: string;
  try {
    response = await context.fetch(probe.request.url, {
      method: "GET",
      headers: probe.request.headers,
      // Never followed: the secret headers would go to another address.
      redirect: "manual",
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    // Read (bounded) and released: only a refusal's text is used.
    body = await readBounded(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (context.signal?.aborted) {
      return { ready: false, detail: "the request was cancelled" };
    }
    return {
      ready: false,
      detail: `cannot reach the receiver: ${
        networkReason(error, kind.secrets())
      }; check the network and the host in ${key}.${kind.urlKey}`,
    };
  }
  const status = response.status;
  if (status === 429) {
    // A rate limit proves the URL as well; not ready would be a false alarm
    // that flips back at the next round.
    return {
      ready: true,
      detail: "HTTP 429: the receiver answers (rate limited now)",
    };
  }
  if (probe.reachable(status)) {
    return { ready: true, detail: `HTTP ${status}: ${probe.proves}` };
  }
  const said = kind.errorText(body);
  const shown = said === undefined
    ? undefined
    : cutChars(escapeControls(redact(said, kind.secrets())), 200);
  return {
    ready: false,
    detail: `HTTP ${status}: ${
      probe.problem(status, key, shown) ??
        statusProblem(status, `${key}.${kind.urlKey}`, key)
    }`,
  };
}

/**
 * What an unreachable status means, and the fix; `urlKey` is the key of the
 * channel's address (`…url`, `…server`, `…api_url`).
 */
function statusProblem(status: number, urlKey: string, key: string): string {
  if (status >= 300 && status < 400) {
    return `the receiver answered a redirect, which is not followed: set the final address in ${urlKey}`;
  }
  if (status === 401 || status === 403) {
    return `the receiver refused the request: check the token in ${urlKey} or its headers`;
  }
  if (status === 404) {
    return `the webhook does not exist (wrong or deleted URL): set its current URL in ${urlKey}`;
  }
  if (status >= 500) {
    return "the receiver has a problem of its own: check the service";
  }
  return `the receiver rejected the request: check ${key}`;
}

/**
 * Why a fetch failed, without the URL: Deno's message names it (`error
 * sending request for url (https://…/TOKEN): client error (Connect): …`), so
 * that part is cut and every secret of the channel masked.
 */
function networkReason(error: unknown, secrets: readonly string[]): string {
  const cause = error instanceof Error && error.cause instanceof Error
    ? error.cause.message
    : error instanceof Error
    ? error.message
    : String(error);
  const text = cause.replace(/^error sending request for url \(.*?\): /, "")
    .replace(/https?:\/\/\S+/g, "<url>");
  return redact(text, secrets) || "network error";
}
