import assert from "node:assert/strict";
import { buildWebhookBody } from "../lib/notify/webhook.ts";
import type { RecordedRequest } from "../lib/testing/http_server.ts";
import { judge, type Observation } from "./expect.ts";
import { judgeAbsentBefore, judgeWebhook } from "./expect_upses.ts";
import { type ReceivedWebhook, webhookBodies } from "./fake_discord.ts";
import { parseProfile } from "./profile.ts";
import { WEBHOOK_PATH } from "./scenario_config.ts";

function collect() {
  const checks: { ok: boolean; text: string }[] = [];
  return {
    checks,
    check: (ok: boolean, text: string) => void checks.push({ ok, text }),
  };
}

const DEGRADED =
  'UPS "a" is unsafe (low_charge: charge 15% < 20% for 2 polls), no shutdown: 1 of 2 supplies fed by safe UPSes (min_supplies 1): "a" unsafe (low_charge: charge 15% < 20% for 2 polls), "b" safe (on line)';

Deno.test("judgeAbsentBefore() passes an event that comes only after its mark", () => {
  const { checks, check } = collect();
  judgeAbsentBefore(check, { "shutdown.triggered": "both" }, {
    events: [
      { t: 3000, event: "supplies.degraded", msg: "warned" },
      { t: 6400, event: "shutdown.triggered", msg: "fired" },
    ],
    marks: { start: 0, both: 6004.4 },
  });
  assert.deepEqual(checks, [{
    ok: true,
    text: 'No event "shutdown.triggered" before mark "both" (6004 ms)',
  }]);
});

Deno.test("judgeAbsentBefore() fails an event before its mark, or a mark never reached", () => {
  const { checks, check } = collect();
  judgeAbsentBefore(check, {
    "shutdown.triggered": "both",
    "shutdown.complete": "later",
  }, {
    events: [{ t: 3200.6, event: "shutdown.triggered", msg: "fired early" }],
    marks: { start: 0, both: 6000 },
  });
  assert.deepEqual(checks, [
    {
      ok: false,
      text:
        'Expected no event "shutdown.triggered" before mark "both" (6000 ms), but it came at 3201 ms: fired early',
    },
    {
      ok: false,
      text:
        'Expected no event "shutdown.complete" before mark "later", but the timeline never reached it',
    },
  ]);
});

Deno.test("webhookBodies() reads what the real webhook channel posts", () => {
  const body = buildWebhookBody({
    event: "supplies.degraded",
    severity: "warning",
    title: "Supplies degraded",
    message: DEGRADED,
    ups: "a",
    timeMs: 0,
  });
  const request = (path: string, text: string): RecordedRequest => ({
    method: "POST",
    path,
    headers: {},
    body: text,
    atMs: 0,
  });
  assert.deepEqual(
    webhookBodies([
      request(WEBHOOK_PATH, JSON.stringify(body)),
      request(WEBHOOK_PATH, "not json"),
      request("/elsewhere", JSON.stringify(body)),
    ]),
    [{
      event: "supplies.degraded",
      severity: "warning",
      ups: "a",
      message: DEGRADED,
    }],
  );
});

const BODIES: ReceivedWebhook[] = [
  { event: "power.on_battery", severity: "warning", ups: "a", message: "x" },
  {
    event: "supplies.degraded",
    severity: "warning",
    ups: "a",
    message: DEGRADED,
  },
];

Deno.test("judgeWebhook() passes a body of the event with its severity and a matching message", () => {
  const { checks, check } = collect();
  judgeWebhook(check, [{
    event: "supplies.degraded",
    severity: "warning",
    message: '^UPS "a" is unsafe',
  }, { event: "power.on_battery" }], BODIES);
  assert.deepEqual(checks, [
    {
      ok: true,
      text:
        `The webhook channel received "supplies.degraded" (warning) with a message matching /^UPS "a" is unsafe/: "${DEGRADED}"`,
    },
    {
      ok: true,
      text: 'The webhook channel received "power.on_battery": "x"',
    },
  ]);
});

Deno.test("judgeWebhook() fails a wrong severity, a wrong message or a missing event", () => {
  const { checks, check } = collect();
  judgeWebhook(check, [
    { event: "supplies.degraded", severity: "critical" },
    { event: "supplies.degraded", message: '"b" unknown' },
    { event: "supplies.restored" },
  ], BODIES);
  assert.deepEqual(checks.map((c) => c.ok), [false, false, false]);
  assert.deepEqual(checks.map((c) => c.text), [
    `Expected the webhook channel to receive "supplies.degraded" (critical), but got warning "${DEGRADED}"`,
    `Expected the webhook channel to receive "supplies.degraded" with a message matching /"b" unknown/, but got warning "${DEGRADED}"`,
    'Expected the webhook channel to receive "supplies.restored", but no such event came',
  ]);
});

Deno.test("judge() applies absent_before and webhook from the profile", () => {
  const { expect } = parseProfile(
    `description: t
ups: { ups.status: OL }
upses: { rig2: { ups.status: OL } }
duration: 10s
timeline:
  - { at: 6s, ups: rig2, set: { ups.status: OB }, mark: both }
expect:
  trigger: supplies
  absent_before: { shutdown.triggered: both }
  webhook: [{ event: supplies.degraded, severity: warning }]
`,
    "t.yaml",
  );
  const seen: Observation = {
    events: [{
      t: 3000,
      event: "shutdown.triggered",
      msg: "Shutdown triggered: 0 of 2 supplies",
      fields: { reason: "supplies" },
    }],
    marks: { start: 0, both: 6000 },
    notifications: [],
    webhookBodies: [],
    discordProblems: [],
    discordEmbeds: [],
    timelineErrors: [],
    facts: null,
    containersAvailable: true,
    rehearsal: false,
    upsdLog: "",
  };
  const verdict = judge(expect, seen);
  assert.equal(verdict.passed, false);
  assert.deepEqual(verdict.checks.filter((c) => !c.ok).map((c) => c.text), [
    'Expected no event "shutdown.triggered" before mark "both" (6000 ms), but it came at 3000 ms: Shutdown triggered: 0 of 2 supplies',
    'Expected the webhook channel to receive "supplies.degraded" (warning), but no such event came',
  ]);
  assert.equal(verdict.trigger?.name, "supplies");
});
