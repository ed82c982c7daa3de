import assert from "node:assert/strict";
import {
  incidentEditUrl,
  incidentEmbed,
  incidentMessageId,
  incidentPayload,
  incidentPostUrl,
} from "./discord_incident.ts";
import { DISCORD_LIMITS } from "./discord_limits.ts";
import type { IncidentRow, IncidentTable } from "./incident.ts";

const COLORS = { red: 1, orange: 2, yellow: 3, green: 4, blue: 5 };
const HOOK = "https://discord.com/api/webhooks/123/tok";

function row(overrides: Partial<IncidentRow>): IncidentRow {
  return {
    id: "vms",
    title: "VMs",
    status: "done",
    durationMs: 2140,
    summary: "3 of 3 VMs shut down",
    details: [],
    ...overrides,
  };
}

function table(rows: IncidentRow[], dryRun = false): IncidentTable {
  return { rows, dryRun, ups: "ups@nas", updatedMs: Date.UTC(2026, 0, 2, 3) };
}

Deno.test("incidentPostUrl() asks for the message back; incidentEditUrl() addresses it, the thread kept", () => {
  const cases: [string, string, string][] = [
    [HOOK, `${HOOK}?wait=true`, `${HOOK}/messages/987`],
    [`${HOOK}/`, `${HOOK}?wait=true`, `${HOOK}/messages/987`],
    [
      `${HOOK}?thread_id=55`,
      `${HOOK}?thread_id=55&wait=true`,
      `${HOOK}/messages/987?thread_id=55`,
    ],
    [`${HOOK}?wait=false`, `${HOOK}?wait=true`, `${HOOK}/messages/987`],
    [`${HOOK}#x`, `${HOOK}?wait=true`, `${HOOK}/messages/987`],
  ];
  for (const [url, post, edit] of cases) {
    assert.equal(incidentPostUrl(url), post, url);
    assert.equal(incidentEditUrl(url, "987"), edit, url);
  }
});

Deno.test("incidentEditUrl() refuses an id that is not a Discord id: it goes into the path", () => {
  for (const id of ["", "../../x", "12a", "1".repeat(21)]) {
    assert.throws(() => incidentEditUrl(HOOK, id), {
      name: "RangeError",
      message: `Cannot edit message "${id}": not a Discord id`,
    });
  }
});

Deno.test("incidentMessageId() takes the id of the message Discord answers, and nothing else", () => {
  const cases: [string, string | undefined][] = [
    ['{"id":"1300000000000000001","type":0}', "1300000000000000001"],
    ['{"id":1300000000000000001}', undefined],
    ['{"id":"../x"}', undefined],
    ['{"message":"Unknown Webhook"}', undefined],
    ["", undefined],
    ["<html>", undefined],
    ["null", undefined],
  ];
  for (const [body, id] of cases) {
    assert.equal(incidentMessageId(body), id, body);
  }
});

Deno.test("incidentPayload() shows one row per step with status, duration and summary", () => {
  const payload = incidentPayload(
    table([
      row({ details: ["VM web: shut down", "VM *db*: shut down"] }),
      row({
        id: "filesystems",
        title: "File systems",
        status: "failed",
        durationMs: 15_000,
        summary: "1 of 2 unmounted",
        details: ["/mnt/a: target is busy"],
      }),
      row({
        id: "remotes",
        title: "Remote machines",
        status: "timeout",
        durationMs: 20_000,
        summary: "Did not end within 20000 ms; going on",
      }),
      row({
        id: "local",
        title: "Local shutdown",
        status: "running",
        durationMs: null,
        summary: "",
      }),
    ]),
    COLORS,
    { username: "UPS", edit: false },
  );
  assert.deepEqual(payload, {
    username: "UPS",
    embeds: [{
      title: "Shutdown steps: 3 ended (2 failed), 1 running",
      description: [
        "✅ **VMs** · done in 2.1 s · 3 of 3 VMs shut down",
        "  ↳ VM web: shut down",
        "  ↳ VM \\*db\\*: shut down",
        "❌ **File systems** · failed after 15.0 s · 1 of 2 unmounted",
        "  ↳ /mnt/a: target is busy",
        "⌛ **Remote machines** · timed out after 20.0 s · Did not end within 20000 ms; going on",
        "⏳ **Local shutdown** · running",
      ].join("\n"),
      color: 1,
      timestamp: "2026-01-02T03:00:00.000Z",
      fields: [],
      footer: { text: "ups-monitor · ups@nas" },
    }],
    "allowed_mentions": { parse: [] },
  });
});

Deno.test("incidentPayload() leaves the sender name out of an edit, marks a dry run, and is orange while nothing failed", () => {
  const payload = incidentPayload(
    table([row({})], true),
    COLORS,
    { username: "UPS", edit: true },
  );
  assert.equal("username" in payload, false);
  assert.equal(payload.embeds[0]?.title, "[DRY-RUN] Shutdown steps: 1 ended");
  assert.equal(payload.embeds[0]?.color, 2);
});

Deno.test("incidentEmbed() stays within Discord's limits however many and long the steps", () => {
  const long = "x".repeat(5000);
  const cases: [string, IncidentRow[], RegExp][] = [
    [
      "long details",
      Array.from({ length: 3 }, (_, i) =>
        row({
          id: `custom.${i}`,
          title: `Custom ${i}`,
          details: Array(9).fill(long),
        })),
      /↳ … 5 more/,
    ],
    [
      "details of 12 steps: only the failures keep theirs",
      Array.from({ length: 12 }, (_, i) =>
        row({
          id: `custom.${i}`,
          title: `Custom ${i}`,
          status: i === 3 ? "failed" : "done",
          details: Array(9).fill(long),
        })),
      /^✅ \*\*Custom 0\*\* · done in 2\.1 s · 3 of 3 VMs shut down\n✅/,
    ],
    [
      "many steps",
      Array.from(
        { length: 300 },
        (_, i) =>
          row({
            id: `custom.${i}`,
            title: `Custom ${i} ${long}`,
            summary: long,
          }),
      ),
      /^… \d+ earlier steps not shown\n/,
    ],
  ];
  for (const [name, rows, shape] of cases) {
    const embed = incidentEmbed(table(rows), COLORS);
    assert.ok(
      [...embed.description].length <= DISCORD_LIMITS.description,
      `${name}: ${[...embed.description].length}`,
    );
    assert.ok([...embed.title].length <= DISCORD_LIMITS.title, name);
    assert.match(embed.description, shape, name);
    assert.match(
      embed.description,
      new RegExp(`\\*\\*${rows.at(-1)!.title.slice(0, 20)}`),
      `${name}: the latest step is shown`,
    );
  }
});
