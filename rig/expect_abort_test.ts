import assert from "node:assert/strict";
import { judge, type Observation, type TimedEvent } from "./expect.ts";
import { sequencePending, type TimedRollbackFacts } from "./expect_abort.ts";
import { parseProfile } from "./profile.ts";
import type { RollbackFacts, SideEffectFacts } from "./side_effects.ts";

const PROFILE = `description: t
ups: { ups.status: OL }
duration: 20s
timeline:
  - { at: 1s, set: { ups.status: OB }, mark: outage }
  - { at: 4s, set: { ups.status: OL }, mark: back }
expect:
  trigger: low_charge
  during:
    - { mark: back, step: containers }
    - { event: shutdown.aborted, step: containers, remaining: 1s }
  after_rollback:
    steps: [containers, vms]
    vms: restarted
    containers: restarted
  side_effects: restored
`;

function event(t: number, name: string, fields = {}): TimedEvent {
  return { t, event: name, msg: `${name} happened`, fields };
}

const step = (t: number, kind: string, phase: string) =>
  event(t, "shutdown.step", { step: kind, phase });

/** An abort during the container step, rolled back at 9 s. */
const EVENTS = [
  event(1500, "shutdown.triggered", { reason: "low_charge" }),
  step(1510, "vms", "start"),
  step(3500, "vms", "done"),
  step(3510, "containers", "start"),
  event(6500, "shutdown.aborted"),
  step(8500, "containers", "done"),
  event(8600, "shutdown.rollback", { step: "containers" }),
  event(8700, "shutdown.rollback", { step: "vms" }),
  event(8700, "shutdown.rollback", { step: "vms" }),
  event(9000, "shutdown.rolled_back"),
];

const ROLLBACK: RollbackFacts = {
  vmStates: { web: "running", db: "running", legacy: "running" },
  virshCalls: ["web", "db", "legacy"].flatMap((vm) => [
    ["shutdown", "--domain", vm],
    ["start", "--domain", vm],
  ]),
  containers: [
    { name: "victim-1", running: true, restarted: true },
    { name: "victim-2", running: true, restarted: true },
  ],
};

const RESTORED: SideEffectFacts = {
  containers: [{ name: "victim-1", running: true }],
  untouched: [{ name: "nut", running: true }],
  stillMounted: ["/m/a", "/m/b"],
  hangMount: "/m/hang",
  nasCalls: [],
  powerOffCalled: false,
  vmStates: ROLLBACK.vmStates,
  virshCalls: [],
};

function observation(
  events = EVENTS,
  rollback: TimedRollbackFacts | null = { t: 9200, facts: ROLLBACK },
  facts = RESTORED,
): Observation {
  return {
    events,
    marks: { start: 0, outage: 1000, back: 4000 },
    notifications: [],
    discordProblems: [],
    discordEmbeds: [],
    timelineErrors: [],
    facts,
    rollback,
    containersAvailable: true,
    rehearsal: false,
    upsdLog: "",
  };
}

const expect = parseProfile(PROFILE, "t.yaml").expect;

Deno.test("sequencePending() is true from a trigger until the sequence completed or rolled back", () => {
  const names = (...list: string[]) => list.map((name) => ({ event: name }));
  assert.equal(sequencePending(names()), false);
  assert.equal(sequencePending(names("shutdown.triggered")), true);
  assert.equal(
    sequencePending(names("shutdown.triggered", "shutdown.rolled_back")),
    false,
  );
  assert.equal(
    sequencePending(
      names("shutdown.triggered", "shutdown.rolled_back", "shutdown.triggered"),
    ),
    true,
  );
  assert.equal(
    sequencePending(names("shutdown.triggered", "shutdown.complete")),
    false,
  );
});

Deno.test("judge() passes an abort that met every expectation", () => {
  const verdict = judge(expect, observation());
  assert.equal(verdict.firstFailure, null);
  assert.ok(
    verdict.checks.some((c) =>
      c.text ===
        'Event "shutdown.aborted" during the "containers" step with 1000 ms of it left (at 6500 ms, step 3510–8500 ms)'
    ),
  );
});

Deno.test("judge() says when a moment fell outside its step", () => {
  const cases: [TimedEvent[], string][] = [
    [
      EVENTS.map((e) => e.event === "shutdown.aborted" ? { ...e, t: 7600 } : e),
      'Expected event "shutdown.aborted" during the "containers" step with 1000 ms of it left (3510–8500 ms), but it came at 7600 ms',
    ],
    [
      EVENTS.map((e) =>
        e.fields["step"] === "containers" && e.fields["phase"] === "start"
          ? { ...e, t: 4100 }
          : e
      ),
      'Expected mark "back" during the "containers" step (4100–8500 ms), but it came at 4000 ms',
    ],
    [
      EVENTS.filter((e) => e.fields["phase"] !== "done"),
      'Expected mark "back" during the "containers" step, but the step never ended',
    ],
    [
      EVENTS.filter((e) => e.event !== "shutdown.aborted"),
      'Expected event "shutdown.aborted" during the "containers" step with 1000 ms of it left, but it never came',
    ],
  ];
  for (const [events, text] of cases) {
    assert.equal(judge(expect, observation(events)).firstFailure, text);
  }
});

Deno.test("judge() checks what the rollback restored, read before the next sequence", () => {
  const facts = (change: Partial<RollbackFacts>) => ({
    t: 9200,
    facts: { ...ROLLBACK, ...change },
  });
  const cases: [Observation, string][] = [
    [
      observation([...EVENTS, event(9100, "shutdown.triggered")]),
      "Expected the state after the rollback read before the next sequence, but it started at 9100 ms and the reading ended at 9200 ms",
    ],
    [
      observation(
        EVENTS.filter((e) =>
          !(e.event === "shutdown.rollback" &&
            e.fields["step"] === "containers")
        ),
      ),
      'Expected the rollback to undo "containers, vms" in order, got "vms"',
    ],
    [
      observation(
        EVENTS,
        facts({ vmStates: { ...ROLLBACK.vmStates, legacy: "shut off" } }),
      ),
      'Expected every VM restarted after the rollback, but "legacy" not: {"web":"running","db":"running","legacy":"shut off"}, calls [["shutdown","--domain","web"],["start","--domain","web"],["shutdown","--domain","db"],["start","--domain","db"],["shutdown","--domain","legacy"],["start","--domain","legacy"]]',
    ],
    [
      observation(
        EVENTS,
        facts({
          containers: [{ name: "victim-1", running: true, restarted: false }],
        }),
      ),
      'Expected the scenario\'s containers restarted after the rollback, got [{"name":"victim-1","running":true,"restarted":false}]',
    ],
    [
      observation(EVENTS, null),
      "The rig could not read back the state after the rollback",
    ],
    [
      observation(EVENTS.filter((e) => e.event !== "shutdown.rolled_back")),
      "Expected a rollback (shutdown.rolled_back), but none ended",
    ],
  ];
  for (const [seen, text] of cases) {
    assert.equal(judge(expect, seen).firstFailure, text);
  }
});

Deno.test("judge() tells restarted VMs and containers from untouched ones", () => {
  const untouched = parseProfile(
    PROFILE.replace(
      "vms: restarted\n    containers: restarted",
      "vms: untouched\n    containers: untouched",
    ),
    "t.yaml",
  ).expect;
  const texts = judge(untouched, observation()).checks.filter((c) => !c.ok)
    .map((c) => c.text);
  assert.equal(texts.length, 2);
  assert.match(texts[0]!, /^Expected every VM untouched after the rollback/);
  assert.match(
    texts[1]!,
    /^Expected the scenario's containers untouched after the rollback/,
  );
});

Deno.test('judge() with side_effects "restored" finds anything left down', () => {
  const cases: [Partial<SideEffectFacts>, string][] = [
    [
      { containers: [{ name: "victim-1", running: false }] },
      'Expected every container running at the end, but "victim-1" stopped',
    ],
    [
      {
        nasCalls: [{ timeMs: 1, uid: 0, sudoUser: "nas-admin", args: ["-s"] }],
      },
      'Expected no shutdown of the NAS, but it recorded "synoshutdown -s"',
    ],
    [
      { stillMounted: ["/m/a"] },
      'Expected the tmpfs mounts still mounted, found only "/m/a"',
    ],
    [
      { vmStates: { web: "shut off", db: "running", legacy: "running" } },
      'Expected every VM running at the end, got {"web":"shut off","db":"running","legacy":"running"}',
    ],
    [
      { powerOffCalled: true },
      "Expected no power-off, but the power-off stand-in ran",
    ],
  ];
  for (const [change, text] of cases) {
    const seen = observation(EVENTS, { t: 9200, facts: ROLLBACK }, {
      ...RESTORED,
      ...change,
    });
    assert.equal(judge(expect, seen).firstFailure, text);
  }
});
