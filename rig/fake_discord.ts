/**
 * What the fake Discord (a real HTTP server on loopback, recording every
 * request) received, judged against Discord's documented webhook limits,
 * and the kinds of notification the generic webhook channel received.
 *
 * @module
 */
import type { RecordedRequest } from "../lib/testing/http_server.ts";
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
 * Every way the Discord messages broke Discord's limits.
 *
 * @param requests Requests of the fake Discord.
 * @returns Problems in words; empty when every message was acceptable.
 */
export function discordProblems(
  requests: readonly RecordedRequest[],
): string[] {
  const problems: string[] = [];
  for (const [index, request] of requests.entries()) {
    if (request.path !== DISCORD_PATH) continue;
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
  return requests.filter((r) => r.path === WEBHOOK_PATH).flatMap((r) => {
    try {
      const event = JSON.parse(r.body)["event"];
      return typeof event === "string" ? [event] : [];
    } catch {
      return []; // not the webhook body: nothing to count
    }
  });
}
