import assert from "node:assert/strict";
import type { RecordedRequest } from "../lib/testing/http_server.ts";
import { judge, type Observation, type TimedEvent } from "./expect.ts";
import {
  discordIncidents,
  discordProblems,
  discordResponder,
  type ReceivedIncident,
} from "./fake_discord.ts";
import { parseProfile } from "./profile.ts";
import { DISCORD_PATH, WEBHOOK_PATH } from "./scenario_config.ts";

function request(
  method: string,
  path: string,
  atMs: number,
  options: { query?: string; description?: string } = {},
): RecordedRequest {
  const embed = {
    title: "t",
    description: options.description ?? "d",
    footer: { text: "f" },
    fields: [],
  };
  return {
    method,
    path,
    query: options.query ?? "",
    headers: {},
    body: JSON.stringify({ embeds: [embed] }),
    atMs,
  };
}

Deno.test("the fake Discord answers ?wait=true with an id, edits that message, and refuses an unknown id or a request past 5 in 2 s", async () => {
  const respond = discordResponder();
  const signal = new AbortController().signal;
  // Readiness GETs and the generic webhook's posts come between, and are
  // neither counted nor given ids.
  const requests = [
    request("GET", DISCORD_PATH, 0),
    request("POST", DISCORD_PATH, 0),
    request("POST", WEBHOOK_PATH, 50),
    request("POST", DISCORD_PATH, 100, {
      query: "?wait=true",
      description: "⏳ **VMs** · running",
    }),
  ];
  await (await respond(requests[0]!, 0, signal)).body?.cancel();
  const plain = await respond(requests[1]!, 1, signal);
  assert.equal(plain.status, 204);
  assert.equal(plain.headers.get("x-ratelimit-remaining"), "4");
  assert.equal((await respond(requests[2]!, 2, signal)).status, 204);
  const posted = await respond(requests[3]!, 3, signal);
  assert.equal(posted.status, 200);
  const { id } = await posted.json();
  assert.match(id, /^\d+$/);
  assert.equal(posted.headers.get("x-ratelimit-reset-after"), "1.900");

  requests.push(
    request("PATCH", `${DISCORD_PATH}/messages/${id}`, 200, {
      description: "✅ **VMs** · done in 1.0 s · 3 VMs shut down\n\\*x\\*",
    }),
    request("PATCH", `${DISCORD_PATH}/messages/42`, 300),
    request("POST", DISCORD_PATH, 400),
    request("POST", DISCORD_PATH, 500),
    request("POST", DISCORD_PATH, 2200),
  );
  const answers = [];
  for (const [index, r] of requests.slice(4).entries()) {
    answers.push(await respond(r, index + 4, signal));
  }
  assert.deepEqual(answers.map((a) => a.status), [200, 404, 204, 429, 204]);
  const limited = answers[3]!;
  assert.deepEqual(await limited.json(), {
    message: "You are being rate limited.",
    "retry_after": 1.5,
    global: false,
  });
  assert.equal(limited.headers.get("retry-after"), "2");
  for (const answer of answers) {
    if (!answer.bodyUsed) await answer.body?.cancel();
  }

  assert.deepEqual(discordProblems(requests), [
    'PATCH at 300 ms edits unknown message "42"',
    "POST at 500 ms was past the rate limit (5 requests in 2000 ms)",
  ]);
  assert.deepEqual(discordIncidents(requests), [{
    id,
    edits: 1,
    table: "✅ **VMs** · done in 1.0 s · 3 VMs shut down\n*x*",
  }]);
});

const PROFILE = parseProfile(
  `description: t
ups: { ups.status: OL }
duration: 10s
expect:
  trigger: fsd
  incident: true
`,
  "t.yaml",
).expect;

function stepEvent(t: number, step: string, phase: string, msg: string) {
  return { t, event: "shutdown.step", msg, fields: { step, phase } };
}

const EVENTS: TimedEvent[] = [
  { t: 0, event: "shutdown.triggered", msg: "t", fields: { reason: "fsd" } },
  stepEvent(10, "vms", "start", "Starting VMs"),
  stepEvent(900, "vms", "done", "VMs: 3 VMs shut down"),
  stepEvent(910, "local", "start", "Starting Local shutdown"),
  stepEvent(950, "local", "failed", "Local shutdown: exit 1"),
];

const TABLE = [
  "✅ **VMs** · done in 0.9 s · 3 VMs shut down",
  "❌ **Local shutdown** · failed after 0.0 s · exit 1",
].join("\n");

function seen(
  incidents: ReceivedIncident[],
  embeds: Observation["discordEmbeds"] = [],
): Observation {
  return {
    events: EVENTS,
    marks: { start: 0 },
    notifications: [],
    discordProblems: [],
    discordEmbeds: embeds,
    discordIncidents: incidents,
    timelineErrors: [],
    facts: null,
    containersAvailable: true,
    rehearsal: false,
    upsdLog: "",
  };
}

Deno.test("judge() with incident: true wants one table listing every step that ended, and no step message", () => {
  const incident = { id: "1", edits: 3, table: TABLE };
  const passed = judge(PROFILE, seen([incident]));
  assert.equal(passed.firstFailure, null);
  assert.ok(passed.checks.some((c) =>
    c.text ===
      `The incident message's final table lists every step that ended: "vms", "local"`
  ));
  const cases: [Observation, string][] = [
    [
      seen([]),
      "Expected an incident message at the fake Discord, but none was posted with ?wait=true",
    ],
    [
      seen([{ ...incident, table: TABLE.split("\n")[0]! }]),
      `The incident message's final table lacks "Local shutdown" failed: "✅ **VMs** · done in 0.9 s · 3 VMs shut down"`,
    ],
    [
      seen([incident], [
        { title: "VMs", description: "Starting" },
        { title: "VMs", description: "Stopping VM web" },
        { title: "Local shutdown: failed", description: "exit 1" },
      ]),
      'Expected the steps only in the incident message, but 2 were messages of their own: "VMs", "Local shutdown: failed"',
    ],
  ];
  for (const [observation, text] of cases) {
    assert.equal(judge(PROFILE, observation).firstFailure, text);
  }
});
