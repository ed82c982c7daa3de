import assert from "node:assert/strict";
import { judge, type Observation, type TimedEvent } from "./expect.ts";
import {
  discordEmbeds,
  discordProblems,
  discordResponder,
  webhookKinds,
} from "./fake_discord.ts";
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
    discordEmbeds: [],
    timelineErrors: [],
    facts: null,
    containersAvailable: true,
    rehearsal: false,
    upsdLog: "",
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

const READINESS = parseProfile(
  `description: t
ups: { ups.status: OL }
nas: true
duration: 14s
timeline: [{ at: 4s, fault: nas_rekey, mark: rekey }]
expect:
  trigger: none
  once: [readiness.not_ready]
  messages: { readiness.not_ready: '^Remote "nas": not ready: .*host key' }
`,
  "t.yaml",
).expect;

const NOT_READY =
  'Remote "nas": not ready: the host key of "127.0.0.1" has changed';

function readinessSeen(
  logged: number,
  webhook: number,
  discord: number,
): Observation {
  return {
    ...observation(
      Array.from(
        { length: logged },
        (_, i) => event(5000 + i, "readiness.not_ready"),
      ).map((e) => ({ ...e, msg: NOT_READY })),
    ),
    notifications: Array(webhook).fill("readiness.not_ready"),
    discordEmbeds: Array(discord).fill({
      title: "Not ready for an outage",
      description: NOT_READY,
    }),
  };
}

Deno.test("judge() checks that a once event was logged and notified at both channels exactly once", () => {
  const good = judge(READINESS, readinessSeen(1, 1, 1));
  assert.equal(good.firstFailure, null);
  assert.ok(good.checks.some((c) =>
    c.text ===
      'Exactly one "readiness.not_ready": logged once, notified once at the webhook channel and once at the fake Discord'
  ));
  const cases: [Observation, string][] = [
    [
      readinessSeen(2, 2, 2),
      `Expected exactly one "readiness.not_ready", but it was logged 2 times, notified 2 times at the webhook channel and 2 times at the fake Discord (messages: "${NOT_READY}", "${NOT_READY}")`,
    ],
    [
      readinessSeen(1, 1, 0),
      `Expected exactly one "readiness.not_ready", but it was logged once, notified once at the webhook channel and 0 times at the fake Discord (messages: "${NOT_READY}")`,
    ],
    [
      readinessSeen(0, 0, 0),
      'Expected exactly one "readiness.not_ready", but it was logged 0 times, notified 0 times at the webhook channel and 0 times at the fake Discord',
    ],
  ];
  for (const [seen, text] of cases) {
    assert.equal(judge(READINESS, seen).firstFailure, text);
  }
});

Deno.test("judge() checks every message of an event against its pattern", () => {
  const seen = readinessSeen(1, 1, 1);
  const other = 'Channel "discord": not ready: HTTP 404';
  const wrong = {
    ...seen,
    events: [...seen.events, { ...seen.events[0]!, msg: other }],
    notifications: ["readiness.not_ready"],
  };
  const texts = judge(READINESS, wrong).checks.map((c) => c.text);
  assert.ok(texts.includes(
    `Expected the message of "readiness.not_ready" to match /^Remote "nas": not ready: .*host key/, got "${other}"`,
  ));
  assert.ok(
    judge(READINESS, seen).checks.some((c) =>
      c.ok &&
      c.text ===
        `The message of "readiness.not_ready" matches /^Remote "nas": not ready: .*host key/: "${NOT_READY}"`
    ),
  );
});

Deno.test("the fake Discord answers a GET as Discord does, and a GET is no message", async () => {
  const respond = discordResponder();
  const request = (method: string, path: string, body = "") => ({
    method,
    path,
    headers: {},
    body,
    atMs: 0,
  });
  const signal = new AbortController().signal;
  const info = await respond(request("GET", DISCORD_PATH), 0, signal);
  assert.equal(info.status, 200);
  assert.deepEqual(
    [(await info.json())["id"], info.headers.get("content-type")],
    ["4242", "application/json"],
  );
  const hook = await respond(request("GET", WEBHOOK_PATH), 1, signal);
  assert.equal(hook.status, 405);
  assert.equal(hook.headers.get("allow"), "POST");
  const posted = await respond(request("POST", DISCORD_PATH, "{}"), 2, signal);
  assert.equal(posted.status, 204);

  const embed = { title: "Not ready for an outage", description: NOT_READY };
  const requests = [
    request("GET", DISCORD_PATH),
    request("GET", WEBHOOK_PATH),
    request("POST", DISCORD_PATH, JSON.stringify({ embeds: [embed] })),
    request("POST", WEBHOOK_PATH, '{"event":"readiness.not_ready"}'),
  ];
  assert.deepEqual(discordProblems(requests), []);
  assert.deepEqual(discordEmbeds(requests), [embed]);
  assert.deepEqual(webhookKinds(requests), ["readiness.not_ready"]);
});

Deno.test("judge() finds each upsd_log pattern in upsd's output, or says which is missing", () => {
  const withLog = parseProfile(
    `description: t
ups: { ups.status: OL }
duration: 10s
expect:
  trigger: none
  upsd_log: ['Instant command: admin@\\S+ did load\\.off on rig']
`,
    "t.yaml",
  ).expect;
  const seen = (upsdLog: string) => ({ ...observation([]), upsdLog });
  const found = judge(
    withLog,
    seen(
      "Connected to UPS [rig]: dummy-ups-rig\nInstant command: admin@10.88.0.1 did load.off on rig (tracking ID: disabled)\n",
    ),
  );
  assert.equal(found.firstFailure, null);
  assert.ok(
    found.checks.some((c) =>
      c.text ===
        'upsd logged "Instant command: admin@10.88.0.1 did load.off on rig (tracking ID: disabled)"'
    ),
  );
  assert.equal(
    judge(withLog, seen("Connected to UPS [rig]: dummy-ups-rig\n"))
      .firstFailure,
    "Expected upsd to log a line matching /Instant command: admin@\\S+ did load\\.off on rig/, but it did not",
  );
});
