import assert from "node:assert/strict";
import {
  hasSideEffects,
  loadProfiles,
  parseProfile,
  ProfileError,
} from "./profile.ts";

const VALID = `description: A test
ups:
  ups.status: OL
  battery.charge: 100
duration: 10s
timeline:
  - { at: 1s, set: { ups.status: OB }, mark: outage }
expect:
  trigger: low_charge
  window: { after: outage, max: 3s }
`;

Deno.test("loadProfiles() loads every scenario of fixtures/profiles", async () => {
  const profiles = await loadProfiles();
  assert.ok(profiles.length >= 12, `${profiles.length} profiles`);
  for (const profile of profiles) {
    assert.ok(profile.duration <= 60_000, `${profile.name} is under 60 s`);
  }
});

Deno.test("parseProfile() parses durations to ms and names the scenario after its file", () => {
  const profile = parseProfile(VALID, "/x/low-battery.yaml");
  assert.equal(profile.name, "low-battery");
  assert.equal(profile.duration, 10_000);
  assert.equal(profile.timeline[0]!.at, 1000);
  assert.deepEqual(profile.expect.window, {
    after: "outage",
    min: 0,
    max: 3000,
  });
  assert.equal(profile.ups["battery.charge"], "100");
});

Deno.test("parseProfile() reads the expectations of an abort", () => {
  const profile = parseProfile(
    VALID.replace(
      "  trigger: low_charge\n",
      `  trigger: low_charge
  side_effects: restored
  during: [{ event: shutdown.aborted, step: containers, remaining: 1s }]
  after_rollback: { steps: [containers, vms], vms: restarted, containers: restarted }
`,
    ),
    "p.yaml",
  );
  assert.equal(profile.expect.side_effects, "restored");
  assert.deepEqual(profile.expect.during, [
    { event: "shutdown.aborted", step: "containers", remaining: 1000 },
  ]);
  assert.deepEqual(profile.expect.after_rollback, {
    steps: ["containers", "vms"],
    vms: "restarted",
    containers: "restarted",
  });
  assert.equal(hasSideEffects(profile.expect), true);
  assert.equal(hasSideEffects(parseProfile(VALID, "p.yaml").expect), false);
});

Deno.test("parseProfile() reports problems as FILE:LINE:COL: key: message", () => {
  const cases: [string, string][] = [
    [
      VALID.replace("duration: 10s", "duration: soon"),
      'p.yaml:5:11: duration: expected a duration such as 90, "90s" or "15m", got "soon"',
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  trigers: x\n",
      ),
      'p.yaml:10:3: expect.trigers: unknown key "trigers"',
    ],
    [
      VALID.replace("after: outage", "after: nowhere"),
      'p.yaml: expect.window.after: no mark "nowhere" in the timeline (marks: "start", "outage")',
    ],
    [
      VALID.replace(
        "{ at: 1s, set: { ups.status: OB }, mark: outage }",
        "{ at: 1s }",
      ),
      "p.yaml:7:5: timeline.0: expected at least one of set, ramp, fault or mark",
    ],
    [
      VALID.replace("set: { ups.status: OB }", "fault: nas_rekey"),
      'p.yaml: timeline.0.fault: "nas_rekey" needs the NAS: set nas: true',
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  messages: { power.on_battery: '(' }\n",
      ),
      "p.yaml:10:33: expect.messages.power.on_battery: expected a regular expression",
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  during: [{ mark: outage, event: x, step: vms }]\n",
      ),
      "p.yaml:10:12: expect.during.0: expected exactly one of mark or event",
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  during: [{ mark: back, step: vms }]\n",
      ),
      'p.yaml: expect.during.0.mark: no mark "back" in the timeline',
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  after_rollback: { containers: restarted }\n",
      ),
      "p.yaml: expect.after_rollback.containers: the scenario's containers need side_effects",
    ],
    [
      VALID.replace(
        "  trigger: low_charge\n",
        "  trigger: low_charge\n  side_effects: partly\n",
      ),
      'p.yaml:10:17: expect.side_effects: expected true, false or "restored"',
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseProfile(text, "p.yaml"), (error: unknown) => {
      assert.ok(error instanceof ProfileError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

const TWO_UPSES = `description: Two UPSes
ups: { ups.status: OL, battery.charge: 100 }
upses:
  rig2: { ups.status: OL, battery.charge: 100 }
duration: 10s
config: { power: { min_supplies: 1 } }
timeline:
  - { at: 1s, set: { ups.status: OB }, mark: outage }
  - { at: 2s, ups: rig2, fault: link_down, mark: lost }
expect:
  trigger: supplies
  window: { after: lost, min: 600ms, max: 5s }
  absent_before: { shutdown.triggered: lost }
  webhook: [{ event: supplies.degraded, severity: warning, message: '^UPS ' }]
`;

Deno.test("parseProfile() reads other UPSes, entries aimed at one, trigger supplies and their expectations", () => {
  const profile = parseProfile(TWO_UPSES, "p.yaml");
  assert.deepEqual(profile.upses, {
    rig2: { "ups.status": "OL", "battery.charge": "100" },
  });
  assert.equal(profile.timeline[0]!.ups, undefined);
  assert.equal(profile.timeline[1]!.ups, "rig2");
  assert.equal(profile.expect.trigger, "supplies");
  assert.deepEqual(profile.expect.absent_before, {
    "shutdown.triggered": "lost",
  });
  assert.deepEqual(profile.expect.webhook, [
    { event: "supplies.degraded", severity: "warning", message: "^UPS " },
  ]);
  const single = parseProfile(VALID, "p.yaml");
  assert.deepEqual(single.upses, {});
  assert.deepEqual(single.expect.absent_before, {});
  assert.deepEqual(single.expect.webhook, []);
});

Deno.test("parseProfile() reports a UPS target or an absent_before mark that does not exist at FILE:LINE:COL", () => {
  const cases: [string, string][] = [
    [
      TWO_UPSES.replace("ups: rig2, fault", "ups: rig3, fault"),
      'p.yaml:9:20: timeline.1.ups: no UPS "rig3" (UPSes: "rig", "rig2")',
    ],
    [
      `${TWO_UPSES.replace("fault: link_down", "fault: nas_rekey")}nas: true\n`,
      'p.yaml:9:20: timeline.1.ups: the fault "nas_rekey" acts on no UPS',
    ],
    [
      TWO_UPSES.replace("ups: rig2, fault: link_down, ", "ups: rig2, "),
      "p.yaml:9:20: timeline.1.ups: expected a set, ramp or fault to aim",
    ],
    [
      TWO_UPSES.replace("shutdown.triggered: lost", "shutdown.triggered: b"),
      'p.yaml:13:40: expect.absent_before.shutdown.triggered: no mark "b" in the timeline (marks: "start", "outage", "lost")',
    ],
    [
      TWO_UPSES.replace("  rig2: {", "  rig: {"),
      'p.yaml:4:3: upses.rig: expected a name other than "rig" (the first UPS, ups:)',
    ],
    [
      TWO_UPSES.replace("severity: warning", "severity: loud"),
      'p.yaml:14:51: expect.webhook.0.severity: Invalid option: expected one of "critical"|"warning"|"quality"|"recovery"|"info"',
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseProfile(text, "p.yaml"), (error: unknown) => {
      assert.ok(error instanceof ProfileError);
      assert.equal(error.message, message);
      return true;
    });
  }
});
