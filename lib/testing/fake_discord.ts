/**
 * A Discord webhook as the tests and the rig see it, for a recording server
 * on loopback: a post answers 204, or with `?wait=true` 200 and the message
 * with its id; `PATCH …/messages/{id}` edits a message it gave (200) or
 * answers 404 "Unknown Message"; every answer carries Discord's
 * `X-RateLimit-*` headers, and a request past the limit (5 in any 2 s,
 * posts and edits alike, refused ones included) gets a 429 whose JSON body
 * has `retry_after` (seconds) and `global: false`. The answers are a replay
 * of the requests, so what the fake answered can be worked out again from
 * the recording alone. Test support only.
 *
 * @module
 */
import type { RecordedRequest, Responder } from "./http_server.ts";

/** The limit the fake enforces: what Discord is observed to allow a webhook. */
export const FAKE_DISCORD_LIMIT = { requests: 5, perMs: 2000 } as const;

/** Ids are snowflakes: the first request's, then one more per request to the webhook. */
const FIRST_ID = 1_300_000_000_000_000_000n;

/** How the fake answered one request to its webhook. */
export interface FakeDiscordAnswer {
  /** The request. */
  request: RecordedRequest;
  /** HTTP status: 200, 204, 404 or 429. */
  status: number;
  /** `POST` (a message) or `PATCH` (an edit). */
  method: "POST" | "PATCH";
  /** The message created or edited; null for a refused request. */
  id: string | null;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Seconds until the window has room again. */
  resetAfter: number;
}

/**
 * Replays the requests to the webhook at `path` in arrival order: what the
 * fake answered to each POST and PATCH (others are left out).
 *
 * @param requests Every request the server recorded, oldest first.
 * @param path The webhook's path, e.g. `/api/webhooks/4242/token`.
 * @returns One answer per post or edit of the webhook.
 */
export function replayFakeDiscord(
  requests: readonly RecordedRequest[],
  path: string,
): FakeDiscordAnswer[] {
  const { requests: limit, perMs } = FAKE_DISCORD_LIMIT;
  const answers: FakeDiscordAnswer[] = [];
  const known = new Set<string>();
  for (const request of requests) {
    const target = targetOf(request, path);
    if (target === null) continue;
    // Ids count the webhook's own requests only, so the responder (which
    // sees only those) and a replay of the whole recording agree.
    const position = answers.length;
    const window = recent(answers, request.atMs - perMs);
    const oldest = window[0]?.request.atMs ?? request.atMs;
    const resetAfter = Math.max(0, oldest + perMs - request.atMs) / 1000;
    const remaining = Math.max(0, limit - window.length - 1);
    const answer = { request, method: target.method, remaining, resetAfter };
    if (window.length >= limit) {
      answers.push({ ...answer, status: 429, id: null });
    } else if (target.method === "POST") {
      const id = String(FIRST_ID + BigInt(position));
      known.add(id);
      const wait = /(^\?|&)wait=true(&|$)/.test(request.query ?? "");
      answers.push({ ...answer, status: wait ? 200 : 204, id });
    } else {
      const found = known.has(target.id);
      answers.push({ ...answer, status: found ? 200 : 404, id: target.id });
    }
  }
  return answers;
}

/** The answers after `sinceMs`, found from the newest back (requests arrive in order). */
function recent(
  answers: readonly FakeDiscordAnswer[],
  sinceMs: number,
): FakeDiscordAnswer[] {
  let first = answers.length;
  while (first > 0 && answers[first - 1]!.request.atMs > sinceMs) first--;
  return answers.slice(first);
}

function targetOf(
  request: RecordedRequest,
  path: string,
): { method: "POST" } | { method: "PATCH"; id: string } | null {
  if (request.method === "POST" && request.path === path) {
    return { method: "POST" };
  }
  const prefix = `${path}/messages/`;
  if (request.method === "PATCH" && request.path.startsWith(prefix)) {
    return { method: "PATCH", id: request.path.slice(prefix.length) };
  }
  return null;
}

/**
 * A responder for the webhook at `path` that answers as Discord does; any
 * other request goes to `other`.
 *
 * @param path The webhook's path.
 * @param other The answer to everything else. @default 404
 * @returns The responder for `startRecordingServer`.
 */
export function fakeDiscordResponder(
  path: string,
  other: Responder = () => new Response(null, { status: 404 }),
): Responder {
  const seen: RecordedRequest[] = [];
  return (request, index, signal) => {
    if (targetOf(request, path) === null) {
      return other(request, index, signal);
    }
    seen.push(request);
    const answer = replayFakeDiscord(seen, path).at(-1)!;
    return answerOf(answer);
  };
}

function answerOf(answer: FakeDiscordAnswer): Response {
  const headers = {
    "x-ratelimit-limit": String(FAKE_DISCORD_LIMIT.requests),
    "x-ratelimit-remaining": String(answer.remaining),
    "x-ratelimit-reset-after": answer.resetAfter.toFixed(3),
    "x-ratelimit-bucket": "fake-webhook-bucket",
  };
  if (answer.status === 429) {
    return Response.json({
      message: "You are being rate limited.",
      "retry_after": answer.resetAfter,
      global: false,
    }, {
      status: 429,
      headers: {
        ...headers,
        "retry-after": String(Math.ceil(answer.resetAfter)),
        "x-ratelimit-scope": "shared",
      },
    });
  }
  if (answer.status === 404) {
    return Response.json(
      { message: "Unknown Message", code: 10008 },
      { status: 404, headers },
    );
  }
  if (answer.status === 204) {
    return new Response(null, { status: 204, headers });
  }
  let embeds: unknown = [];
  try {
    embeds = JSON.parse(answer.request.body)["embeds"] ?? [];
  } catch {
    embeds = []; // not JSON: the test judges the body, the answer stays valid
  }
  return Response.json({
    id: answer.id,
    type: 0,
    "channel_id": "4243",
    "webhook_id": "4242",
    embeds,
  }, { status: 200, headers });
}
