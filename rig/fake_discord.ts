/**
 * How the fake Discord (a real HTTP server on loopback, recording every
 * request) answers, what it received judged against Discord's documented
 * webhook limits and its observed rate limit, the incident messages it
 * kept, and the kinds of notification the generic webhook channel
 * received. Readiness checks GET both URLs; POSTs are messages, PATCHes
 * edit one (`lib/testing/fake_discord.ts` answers both, like Discord).
 *
 * @module
 */
import {
  FAKE_DISCORD_LIMIT,
  type FakeDiscordAnswer,
  fakeDiscordResponder,
  replayFakeDiscord,
} from "../lib/testing/fake_discord.ts";
import type { RecordedRequest, Responder } from "../lib/testing/http_server.ts";
import { DISCORD_PATH, WEBHOOK_PATH } from "./scenario_config.ts";

/**
 * Discord's limits (developer docs, "Embed Limits"). Written here again on
 * purpose, not imported from the program's DISCORD_LIMITS: the fake checks
 * the program against the docs, and a wrong number in the program must not
 * make the check agree with it.
 */
const LIMITS = {
  embeds: 10,
  message: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
} as const;

const length = (text: unknown) => [...String(text ?? "")].length;

/**
 * Answers as Discord and a POST-only receiver do: a GET of the Discord
 * webhook URL gets the webhook's info (200), a GET of the generic webhook
 * 405 with `Allow: POST`, a message to the generic webhook 204; a Discord
 * message 204, or 200 with its id with `?wait=true`, an edit 200 or 404,
 * and either 429 past Discord's rate limit.
 *
 * @returns The responder for `startRecordingServer`.
 */
export function discordResponder(): Responder {
  return fakeDiscordResponder(DISCORD_PATH, (request) => {
    if (request.method === "POST") return new Response(null, { status: 204 });
    if (request.path === DISCORD_PATH && request.method === "GET") {
      const [id, token] = DISCORD_PATH.split("/").slice(-2);
      return Response.json({
        "application_id": null,
        avatar: null,
        "channel_id": "4243",
        "guild_id": "4244",
        id,
        name: "ups-monitor rig",
        token,
        type: 1,
      });
    }
    return new Response(null, { status: 405, headers: { allow: "POST" } });
  });
}

/** The messages (POSTs) to one path. */
function posts(
  requests: readonly RecordedRequest[],
  path: string,
): RecordedRequest[] {
  return requests.filter((r) => r.method === "POST" && r.path === path);
}

/**
 * Every way the Discord messages and edits broke Discord's limits: an embed
 * limit, a request past the rate limit (answered 429), an edit of a message
 * the webhook never posted (answered 404).
 *
 * @param requests Requests of the fake Discord.
 * @returns Problems in words; empty when every request was acceptable.
 */
export function discordProblems(
  requests: readonly RecordedRequest[],
): string[] {
  const answers = replayFakeDiscord(requests, DISCORD_PATH);
  const problems = refusals(answers, requests[0]?.atMs ?? 0);
  let messages = 0;
  for (const answer of answers) {
    const { request } = answer;
    const where = answer.method === "POST"
      ? `message ${++messages}`
      : `edit of message "${answer.id}"`;
    let body: { embeds?: Record<string, unknown>[] };
    try {
      body = JSON.parse(request.body);
    } catch {
      problems.push(`${where} is not JSON`);
      continue;
    }
    const embeds = body.embeds ?? [];
    if (embeds.length === 0) problems.push(`${where} has no embed`);
    if (embeds.length > LIMITS.embeds) {
      problems.push(`${where} has ${embeds.length} embeds (limit 10)`);
    }
    let total = 0;
    for (const embed of embeds) {
      const fields = (embed["fields"] ?? []) as Record<string, unknown>[];
      const footer = (embed["footer"] ?? {}) as Record<string, unknown>;
      const sizes: [string, number, number][] = [
        ["title", length(embed["title"]), LIMITS.title],
        ["description", length(embed["description"]), LIMITS.description],
        ["footer", length(footer["text"]), LIMITS.footer],
        ["fields", fields.length, LIMITS.fields],
      ];
      for (const field of fields) {
        sizes.push(["field name", length(field["name"]), LIMITS.fieldName]);
        sizes.push(["field value", length(field["value"]), LIMITS.fieldValue]);
      }
      for (const [what, size, limit] of sizes) {
        if (size > limit) {
          problems.push(`${where}: ${what} of ${size} (limit ${limit})`);
        }
      }
      total += sizes.filter(([what]) => what !== "fields").reduce(
        (sum, [, size]) => sum + size,
        0,
      );
    }
    if (total > LIMITS.message) {
      problems.push(`${where} has ${total} characters (limit 6000)`);
    }
  }
  return problems;
}

/** The requests the fake refused: past the rate limit, or an edit of no message. */
function refusals(
  answers: readonly FakeDiscordAnswer[],
  startMs: number,
): string[] {
  return answers.flatMap((answer) => {
    const at = `${Math.round(answer.request.atMs - startMs)} ms`;
    if (answer.status === 429) {
      return [
        `${answer.method} at ${at} was past the rate limit (${FAKE_DISCORD_LIMIT.requests} requests in ${FAKE_DISCORD_LIMIT.perMs} ms)`,
      ];
    }
    return answer.status === 404
      ? [`PATCH at ${at} edits unknown message "${answer.id}"`]
      : [];
  });
}

/** One incident message as the fake Discord keeps it. */
export interface ReceivedIncident {
  /** The id the fake gave it. */
  id: string;
  /** Edits it accepted. */
  edits: number;
  /** The table it shows last (the embed's description), Markdown escapes removed. */
  table: string;
}

/**
 * The incident messages: posted with `?wait=true`, then edited; each with
 * the table of its last accepted post or edit.
 *
 * @param requests Requests of the fake Discord.
 * @returns The messages in the order posted.
 */
export function discordIncidents(
  requests: readonly RecordedRequest[],
): ReceivedIncident[] {
  const incidents = new Map<string, ReceivedIncident>();
  for (const answer of replayFakeDiscord(requests, DISCORD_PATH)) {
    if (answer.id === null || answer.status !== 200) continue;
    const table = firstDescription(answer.request.body).replace(/\\(.)/g, "$1");
    const known = incidents.get(answer.id);
    if (answer.method === "POST") {
      incidents.set(answer.id, { id: answer.id, edits: 0, table });
    } else if (known) {
      incidents.set(answer.id, { ...known, edits: known.edits + 1, table });
    }
  }
  return [...incidents.values()];
}

function firstDescription(body: string): string {
  try {
    const embeds: unknown = JSON.parse(body)["embeds"];
    return Array.isArray(embeds)
      ? String(embeds[0]?.["description"] ?? "")
      : "";
  } catch {
    return ""; // not JSON: discordProblems() reports it
  }
}

/**
 * The event names the generic webhook channel received, in order.
 *
 * @param requests Requests of the fake Discord.
 * @returns The kinds of notification.
 */
export function webhookKinds(requests: readonly RecordedRequest[]): string[] {
  return webhookBodies(requests).map((body) => body.event);
}

/** What the generic webhook channel received for one notification. */
export interface ReceivedWebhook {
  /** The event name, e.g. `supplies.degraded`. */
  event: string;
  /** critical, warning, quality, recovery or info. */
  severity: string;
  /** The UPS as the program names it. */
  ups: string;
  /** The notification's message. */
  message: string;
}

/**
 * The bodies the generic webhook channel received, in order.
 *
 * @param requests Requests of the fake Discord.
 * @returns Each JSON body's event, severity, UPS and message.
 */
export function webhookBodies(
  requests: readonly RecordedRequest[],
): ReceivedWebhook[] {
  return posts(requests, WEBHOOK_PATH).flatMap((r) => {
    try {
      const body: Record<string, unknown> = JSON.parse(r.body);
      return typeof body["event"] === "string"
        ? [{
          event: body["event"],
          severity: String(body["severity"] ?? ""),
          ups: String(body["ups"] ?? ""),
          message: String(body["message"] ?? ""),
        }]
        : [];
    } catch {
      return []; // not the webhook body: nothing to count
    }
  });
}

/** One embed of a message to the fake Discord. */
export interface ReceivedEmbed {
  /** The notification's title, e.g. `Not ready for an outage`. */
  title: string;
  /** The notification's message. */
  description: string;
}

/**
 * Every embed the fake Discord received, in order.
 *
 * @param requests Requests of the fake Discord.
 * @returns The embeds of every message that is JSON.
 */
export function discordEmbeds(
  requests: readonly RecordedRequest[],
): ReceivedEmbed[] {
  return posts(requests, DISCORD_PATH).flatMap((r) => {
    try {
      const embeds: unknown = JSON.parse(r.body)["embeds"];
      return Array.isArray(embeds)
        ? embeds.map((embed: Record<string, unknown>) => ({
          title: String(embed["title"] ?? ""),
          description: String(embed["description"] ?? ""),
        }))
        : [];
    } catch {
      return []; // not JSON: discordProblems() reports it
    }
  });
}
