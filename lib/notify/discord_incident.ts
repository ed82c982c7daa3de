/**
 * The Discord incident message of a shutdown sequence: one embed whose
 * description is the per-step table (status, step, duration, short
 * summary), always inside Discord's embed limits; plus the URLs to post it
 * with `?wait=true` and to edit it, and the message id from the answer.
 * Pure.
 *
 * Discord's API reference: "Execute Webhook" with `wait=true` answers the
 * created message object (its `id` a snowflake, digits in a string); "Edit
 * Webhook Message" is `PATCH /webhooks/{id}/{token}/messages/{message.id}`
 * with the same `embeds` and `allowed_mentions` (no `username`).
 *
 * @module
 * @pure
 */
import type { Colors, DiscordPayload, Embed } from "./discord.ts";
import { DISCORD_LIMITS, truncate } from "./discord_limits.ts";
import type { IncidentRow, IncidentStatus, IncidentTable } from "./incident.ts";

/** Characters of a row's summary and of each detail line, at most. */
const LINE_CHARS = 200;
/** Detail lines shown under a row, at most. */
const DETAIL_LINES = 4;

const ICONS: Record<IncidentStatus, string> = {
  running: "⏳",
  done: "✅",
  failed: "❌",
  timeout: "⌛",
};

/**
 * The URL that posts the incident message and asks for it back (with its
 * id): the webhook URL plus `wait=true`, its other query parameters kept.
 *
 * @param url The webhook URL.
 * @returns The URL to POST.
 */
export function incidentPostUrl(url: string): string {
  const { base, query } = splitUrl(url);
  const params = query.split("&").filter((p) => p !== "" && !/^wait=/.test(p));
  return `${base}?${[...params, "wait=true"].join("&")}`;
}

/**
 * The URL that edits message `id` of the webhook: `…/messages/{id}`, the
 * query (a `thread_id`) kept, `wait` dropped.
 *
 * @param url The webhook URL.
 * @param id The message's id, digits only.
 * @returns The URL to PATCH.
 * @throws {RangeError} When `id` is not a snowflake: it goes into the path.
 */
export function incidentEditUrl(url: string, id: string): string {
  if (!isSnowflake(id)) {
    throw new RangeError(`Cannot edit message "${id}": not a Discord id`);
  }
  const { base, query } = splitUrl(url);
  const params = query.split("&").filter((p) => p !== "" && !/^wait=/.test(p));
  return `${base}/messages/${id}${params.length ? `?${params.join("&")}` : ""}`;
}

function splitUrl(url: string): { base: string; query: string } {
  const noFragment = url.split("#")[0] ?? "";
  const at = noFragment.indexOf("?");
  const base = at === -1 ? noFragment : noFragment.slice(0, at);
  return {
    base: base.replace(/\/+$/, ""),
    query: at === -1 ? "" : noFragment.slice(at + 1),
  };
}

/**
 * The id of the message in the answer to a post with `wait=true`.
 *
 * @param body The answer's body (JSON of a message object, or anything).
 * @returns The id when it is a snowflake, else undefined.
 */
export function incidentMessageId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const id = (parsed as { id?: unknown }).id;
    return typeof id === "string" && isSnowflake(id) ? id : undefined;
  } catch {
    return undefined; // not JSON (a 204, a proxy's page): no id
  }
}

/** Discord ids are 64-bit integers written in decimal. */
function isSnowflake(id: string): boolean {
  return /^\d{1,20}$/.test(id);
}

/**
 * The incident message for a post or an edit.
 *
 * @param table The table to show.
 * @param colors The configured palette.
 * @param options The sender name (posts only) and whether it is an edit.
 * @returns The payload, within Discord's limits.
 */
export function incidentPayload(
  table: IncidentTable,
  colors: Colors,
  options: { username?: string | null; edit: boolean },
): DiscordPayload {
  const username = options.edit ? null : options.username;
  return {
    ...(username ? { username: truncate(username, 80) } : {}),
    embeds: [incidentEmbed(table, colors)],
    "allowed_mentions": { parse: [] },
  };
}

/**
 * The embed of the table: red once a step failed or timed out, orange
 * otherwise (a shutdown is under way).
 *
 * @param table The table.
 * @param colors The palette.
 * @returns One embed, within the per-embed limits.
 */
export function incidentEmbed(table: IncidentTable, colors: Colors): Embed {
  const count = (...statuses: IncidentStatus[]) =>
    table.rows.filter((r) => statuses.includes(r.status)).length;
  const failed = count("failed", "timeout");
  const running = count("running");
  const counts = [
    `${count("done", "failed", "timeout")} ended${
      failed > 0 ? ` (${failed} failed)` : ""
    }`,
    ...(running > 0 ? [`${running} running`] : []),
  ];
  return {
    title: truncate(
      `${table.dryRun ? "[DRY-RUN] " : ""}Shutdown steps: ${counts.join(", ")}`,
      DISCORD_LIMITS.title,
    ),
    description: describeRows(table.rows, DISCORD_LIMITS.description),
    color: failed > 0 ? colors.red : colors.orange,
    timestamp: new Date(table.updatedMs).toISOString(),
    fields: [],
    footer: {
      text: truncate(`ups-monitor · ${table.ups}`, DISCORD_LIMITS.footer),
    },
  };
}

/**
 * The table as text of at most `max` characters: every row with its
 * details if they fit, else details only for failures, else none; when
 * even the bare rows do not fit, the oldest make way for a count.
 */
function describeRows(rows: readonly IncidentRow[], max: number): string {
  if (rows.length === 0) return "No step started yet";
  for (const details of ["all", "failures", "none"] as const) {
    const text = rows.map((row) => rowText(row, details)).join("\n");
    if ([...text].length <= max) return text;
  }
  const lines = rows.map((row) => rowText(row, "none"));
  for (let skip = 1; skip < lines.length; skip++) {
    const text = [
      `… ${plural(skip, "earlier step")} not shown`,
      ...lines.slice(skip),
    ].join("\n");
    if ([...text].length <= max) return text;
  }
  return truncate(lines.at(-1) ?? "", max);
}

function rowText(
  row: IncidentRow,
  details: "all" | "failures" | "none",
): string {
  const seconds = row.durationMs === null
    ? ""
    : `${(row.durationMs / 1000).toFixed(1)} s`;
  const status = {
    running: "running",
    done: `done in ${seconds}`,
    failed: `failed after ${seconds}`,
    timeout: `timed out after ${seconds}`,
  }[row.status];
  const summary = row.summary === ""
    ? ""
    : ` · ${escapeMarkdown(truncate(firstLine(row.summary), LINE_CHARS))}`;
  const head = `${ICONS[row.status]} **${
    escapeMarkdown(truncate(row.title, LINE_CHARS))
  }** · ${status}${summary}`;
  const shown = details === "all" ||
      (details === "failures" && row.status !== "done")
    ? row.details.filter((d) => d.trim() !== "")
    : [];
  const lines = shown.slice(0, DETAIL_LINES).map((d) =>
    `  ↳ ${escapeMarkdown(truncate(firstLine(d), LINE_CHARS))}`
  );
  if (shown.length > DETAIL_LINES) {
    lines.push(`  ↳ … ${shown.length - DETAIL_LINES} more`);
  }
  return [head, ...lines].join("\n");
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

/** Text from commands and configs must not turn into Discord formatting. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>]/g, (c) => `\\${c}`);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
