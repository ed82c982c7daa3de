/**
 * How the fake Discord (a real HTTP server on loopback, recording every
 * request) answers, what it received judged against Discord's documented
 * webhook limits, and the kinds of notification the generic webhook channel
 * received. Readiness checks GET both URLs; only POSTs are messages.
 *
 * @module
 */
import type { RecordedRequest, Responder } from "../lib/testing/http_server.ts";
import { DISCORD_PATH, WEBHOOK_PATH } from "./scenario_config.ts";

/** Discord's limits (developer docs, "Embed Limits"). */
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
 * 405 with `Allow: POST`, a message 204 (Discord without `?wait=true`).
 *
 * @returns The responder for `startRecordingServer`.
 */
export function discordResponder(): Responder {
  return (request) => {
    if (request.method === "POST") return new Response(null, { status: 204 });
    if (request.path === DISCORD_PATH) {
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
  };
}

/** The messages (POSTs) to one path. */
function posts(
  requests: readonly RecordedRequest[],
  path: string,
): RecordedRequest[] {
  return requests.filter((r) => r.method === "POST" && r.path === path);
}

/**
 * Every way the Discord messages broke Discord's limits.
 *
 * @param requests Requests of the fake Discord.
 * @returns Problems in words; empty when every message was acceptable.
 */
export function discordProblems(
  requests: readonly RecordedRequest[],
): string[] {
  const problems: string[] = [];
  for (const [index, request] of posts(requests, DISCORD_PATH).entries()) {
    const where = `message ${index + 1}`;
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

/**
 * The event names the generic webhook channel received, in order.
 *
 * @param requests Requests of the fake Discord.
 * @returns The kinds of notification.
 */
export function webhookKinds(requests: readonly RecordedRequest[]): string[] {
  return posts(requests, WEBHOOK_PATH).flatMap((r) => {
    try {
      const event = JSON.parse(r.body)["event"];
      return typeof event === "string" ? [event] : [];
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
