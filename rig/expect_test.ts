import assert from "node:assert/strict";
import { judge, type Observation, type TimedEvent } from "./expect.ts";
import { discordProblems, webhookKinds } from "./fake_discord.ts";
import { parseProfile } from "./profile.ts";
import { DISCORD_PATH, WEBHOOK_PATH } from "./scenario_config.ts";

const expect = parseProfile(
  `description: t
ups: { ups.status: OL }
duration: 10s
timeline: [{ at: 1s, set: { ups.status: OB }, mark: low }]
expect:
  trigger: low_charge
  window: { after: low, max: 3s }
  steps: [vms, local]
  events: [power.on_battery, shutdown.triggered]
  absent_events: [shutdown.failed]
  notifications: [power.on_battery, shutdown.triggered]
`,
  "t.yaml",
).expect;

function event(t: number, name: string, fields = {}): TimedEvent {
  return { t, event: name, msg: `${name} happened`, fields };
}

function observation(events: TimedEvent[]): Observation {
  return {
    events,
    marks: { start: 0, low: 1000 },
    notifications: ["power.on_battery", "shutdown.triggered"],
    discordProblems: [],
    timelineErrors: [],
    facts: null,
    containersAvailable: true,
    rehearsal: false,
  };
}

const GOOD = [
  event(1200, "power.on_battery"),
  event(2500, "shutdown.triggered", { reason: "low_charge" }),
  event(4000, "shutdown.step", {
    step: "vms",
    phase: "done",
    "duration_ms": 1500,
  }),
  event(4100, "shutdown.step", {
    step: "local",
    phase: "done",
    "duration_ms": 5,
  }),
];

Deno.test("judge() passes a scenario that met every expectation", () => {
  const verdict = judge(expect, observation(GOOD));
  assert.equal(verdict.firstFailure, null);
  assert.equal(verdict.passed, true);
  assert.equal(verdict.trigger?.delayMs, 1500);
  assert.deepEqual(verdict.steps.map((s) => s.step), ["vms", "local"]);
});

Deno.test("judge() names the first failed expectation in words", () => {
  const cases: [TimedEvent[], string][] = [
    [
      GOOD.map((e) =>
        e.event === "shutdown.triggered"
          ? { ...e, fields: { reason: "depletion" } }
          : e
      ),
      'Expected trigger "low_charge", but "depletion" fired: shutdown.triggered happened',
    ],
    [
      GOOD.map((e) => e.event === "shutdown.triggered" ? { ...e, t: 4500 } : e),
      'Expected the trigger 3500 ms after "low" (window 0–3000 ms)',
    ],
    [
      GOOD.filter((e) => e.event !== "shutdown.triggered"),
      'Expected trigger "low_charge", but none fired',
    ],
    [
      GOOD.filter((e) => e.fields["step"] !== "vms"),
      'Expected steps "vms, local" in order, got "local"',
    ],
    [
      [...GOOD, event(5000, "shutdown.failed")],
      'Expected no event "shutdown.failed", but it came: shutdown.failed happened',
    ],
  ];
  for (const [events, text] of cases) {
    assert.equal(judge(expect, observation(events)).firstFailure, text);
  }
});

Deno.test("judge() judges only the trigger in a rehearsal", () => {
  const seen = { ...observation(GOOD.slice(0, 2)), rehearsal: true };
  assert.equal(judge(expect, seen).passed, true);
});

Deno.test("discordProblems() reports messages beyond Discord's limits", () => {
  const embed = (title: string) => ({
    title,
    description: "d",
    footer: { text: "f" },
    fields: [],
  });
  const request = (path: string, body: unknown) => ({
    method: "POST",
    path,
    headers: {},
    body: JSON.stringify(body),
    atMs: 0,
  });
  const problems = discordProblems([
    request(DISCORD_PATH, { embeds: [embed("ok")] }),
    request(DISCORD_PATH, { embeds: Array(11).fill(embed("x")) }),
    request(DISCORD_PATH, { embeds: [embed("t".repeat(257))] }),
    request(WEBHOOK_PATH, { event: "power.on_battery" }),
  ]);
  assert.deepEqual(problems, [
    "message 2 has 11 embeds (limit 10)",
    "message 3: title of 257 (limit 256)",
  ]);
  assert.deepEqual(
    webhookKinds([request(WEBHOOK_PATH, { event: "power.on_battery" })]),
    ["power.on_battery"],
  );
});
