/**
 * The readiness check of each notification channel: a GET of its URL, never
 * a POST, so no message is sent. Redirects are reported, not followed; the
 * body read is bounded; the URL (a secret: the token is in it) is never part
 * of a detail. What counts as reachable is a table keyed by channel kind.
 *
 * @module
 */
import type { ChannelConfig, Config } from "../config/schema.ts";
import { type ChannelKind, channelKindOf } from "../notify/channel_kinds.ts";
import { MAX_RESPONSE_BYTES, readBounded } from "../notify/post.ts";
import { redact } from "../system/log.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { ReadinessContext } from "./checks.ts";

/** How a kind of channel reads the answer to a GET of its URL. */
export interface ChannelProbe {
  /** Whether the status proves that the URL reaches a live receiver. */
  readonly reachable: (status: number) => boolean;
  /** What a reachable answer proves, e.g. `the webhook exists`. */
  readonly proves: string;
}

/** The probe of every channel kind. */
export const CHANNEL_PROBES: Readonly<Record<ChannelKind, ChannelProbe>> = {
  // Discord answers a GET of a webhook URL with the webhook's info (200),
  // an unknown webhook with 404 and a wrong token with 401.
  discord: {
    reachable: (status) => status >= 200 && status < 300,
    proves: "the webhook exists",
  },
  // A generic receiver need not serve GET at all: 405 (method not allowed)
  // still proves that the URL routes to a live receiver that takes POST.
  webhook: {
    reachable: (status) => (status >= 200 && status < 300) || status === 405,
    proves: "the receiver answers",
  },
};

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
  const key = `notifications.channels.${index}`;
  let response: Response;
  try {
    response = await context.fetch(channel.url, {
      method: "GET",
      // The same headers as a POST, so a receiver that checks a token
      // answers as it will in an outage.
      headers: kind.headers(),
      // Never followed: the secret headers would go to another address.
      redirect: "manual",
      ...(context.signal === undefined ? {} : { signal: context.signal }),
    });
    // Read (bounded) and released: the answer itself is not needed.
    await readBounded(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (context.signal?.aborted) {
      return { ready: false, detail: "the request was cancelled" };
    }
    return {
      ready: false,
      detail: `cannot reach the receiver: ${
        networkReason(error, kind.secrets())
      }; check the network and the host in ${key}.url`,
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
  if (CHANNEL_PROBES[channel.kind].reachable(status)) {
    return {
      ready: true,
      detail: `HTTP ${status}: ${CHANNEL_PROBES[channel.kind].proves}`,
    };
  }
  return {
    ready: false,
    detail: `HTTP ${status}: ${statusProblem(status, key)}`,
  };
}

/** What an unreachable status means, and the fix. */
function statusProblem(status: number, key: string): string {
  if (status >= 300 && status < 400) {
    return `the receiver answered a redirect, which is not followed: set the final address in ${key}.url`;
  }
  if (status === 401 || status === 403) {
    return `the receiver refused the request: check the token in ${key}.url or its headers`;
  }
  if (status === 404) {
    return `the webhook does not exist (wrong or deleted URL): set its current URL in ${key}.url`;
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
