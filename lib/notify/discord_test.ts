import assert from "node:assert/strict";
import {
  buildEmbed,
  DISCORD_LIMITS,
  packMessages,
  payloadSize,
  truncate,
} from "./discord.ts";
import type { Notification, Severity } from "./notifier.ts";

const COLORS = { red: 1, orange: 2, yellow: 3, green: 4, blue: 5 };

function note(overrides: Partial<Notification> = {}): Notification {
  return {
    event: "power.on_battery",
    severity: "warning",
    title: "On battery",
    message: "Mains power failed",
    ups: "ups@nas",
    fields: { charge: "97 %", runtime: "30 min" },
    timeMs: Date.UTC(2026, 10, 27, 10),
    ...overrides,
  };
}

Deno.test("buildEmbed() colors by severity and carries the numbers and a timestamp", () => {
  const colors: [Severity, number][] = [
    ["critical", 1],
    ["warning", 2],
    ["quality", 3],
    ["recovery", 4],
    ["info", 5],
  ];
  for (const [severity, color] of colors) {
    assert.equal(buildEmbed(note({ severity }), COLORS).color, color, severity);
  }
  assert.deepEqual(buildEmbed(note(), COLORS), {
    title: "On battery",
    description: "Mains power failed",
    color: 2,
    timestamp: "2026-11-27T10:00:00.000Z",
    fields: [
      { name: "charge", value: "97 %", inline: true },
      { name: "runtime", value: "30 min", inline: true },
    ],
    footer: { text: "ups-monitor · ups@nas" },
  });
});

Deno.test("buildEmbed() truncates every part to Discord's limits instead of failing", () => {
  const fields = Object.fromEntries(
    Array.from(
      { length: 40 },
      (_, i) => [`${"n".repeat(300)}${i}`, "v".repeat(2000)],
    ),
  );
  const embed = buildEmbed(
    note({
      title: "t".repeat(300),
      message: "d".repeat(5000),
      ups: "u".repeat(3000),
      fields,
    }),
    COLORS,
  );
  assert.equal([...embed.title].length, DISCORD_LIMITS.title);
  assert.ok(embed.title.endsWith("…"));
  assert.equal([...embed.description].length, DISCORD_LIMITS.description);
  assert.equal(embed.fields.length, DISCORD_LIMITS.fields);
  for (const field of embed.fields) {
    assert.ok([...field.name].length <= DISCORD_LIMITS.fieldName);
    assert.ok([...field.value].length <= DISCORD_LIMITS.fieldValue);
  }
  assert.equal([...embed.footer.text].length, DISCORD_LIMITS.footer);
  assert.equal(truncate("ab✓✓", 3), "ab…");
});

Deno.test("packMessages() keeps order and fits 10 embeds and 6000 characters per message", () => {
  const small = Array.from(
    { length: 25 },
    (_, i) => buildEmbed(note({ title: `step ${i}` }), COLORS),
  );
  const packed = packMessages(small, "ups-monitor");
  assert.deepEqual(packed.map((p) => p.embeds.length), [10, 10, 5]);
  assert.deepEqual(
    packed.flatMap((p) => p.embeds.map((e) => e.title)),
    small.map((e) => e.title),
  );
  assert.equal(packed[0]?.username, "ups-monitor");
  assert.deepEqual(packed[0]?.allowed_mentions, { parse: [] });

  const big = Array.from(
    { length: 5 },
    () =>
      buildEmbed(
        note({
          message: "x".repeat(4000),
          fields: { a: "y".repeat(1000), b: "z".repeat(1000) },
        }),
        COLORS,
      ),
  );
  const split = packMessages(big);
  assert.ok(split.length >= 3);
  for (const payload of split) {
    assert.ok(
      payloadSize(payload) <= DISCORD_LIMITS.message,
      String(payloadSize(payload)),
    );
    assert.ok(payload.embeds.length <= DISCORD_LIMITS.embeds);
  }
  assert.equal(
    split.reduce((sum, p) => sum + p.embeds.length, 0),
    5,
    "no embed is lost",
  );
});
