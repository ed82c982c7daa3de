import assert from "node:assert/strict";
import { parseProfile, ProfileError } from "./profile.ts";

const FLEET = `description: A fleet
ups:
  ups.status: OL
duration: 20s
fleet:
  - { name: sec-a, role: secondary, finaldelay: 1s }
  - { name: boss, role: primary, hostsync: 20s }
timeline:
  - { at: 1s, fault: fleet_fsd, mark: fsd }
expect:
  trigger: fsd
  steps: [fleet, vms, local]
  fleet:
    fsd: [sec-a]
    logged_out: [sec-a]
    gone_at_power_off: [program, sec-a]
    order:
      - [sec-a.logout, program.first_step]
    wait: { min: 1s, max: 5s }
    message: 'still logged in: {{sec-a}}'
`;

Deno.test("parseProfile() reads the fleet with upsmon's defaults and expect.fleet", () => {
  const profile = parseProfile(FLEET, "f.yaml");
  assert.deepEqual(profile.fleet, [
    {
      name: "sec-a",
      role: "secondary",
      hostsync: 15_000,
      finaldelay: 1000,
      shutdown: "returns",
    },
    {
      name: "boss",
      role: "primary",
      hostsync: 20_000,
      finaldelay: 5000,
      shutdown: "returns",
    },
  ]);
  assert.deepEqual(profile.expect.steps, ["fleet", "vms", "local"]);
  assert.deepEqual(profile.expect.fleet, {
    fsd: ["sec-a"],
    shutdowncmd: [],
    "logged_out": ["sec-a"],
    "logged_in": [],
    "gone_at_power_off": ["program", "sec-a"],
    order: [["sec-a.logout", "program.first_step"]],
    wait: { min: 1000, max: 5000 },
    message: "still logged in: {{sec-a}}",
  });
  assert.deepEqual(
    parseProfile(
      "description: x\nups: { ups.status: OL }\nduration: 5s\nexpect: { trigger: none }\n",
      "g.yaml",
    ).fleet,
    [],
  );
});

Deno.test("parseProfile() reports fleet problems as FILE:LINE:COL: key: message or FILE: key: message", () => {
  const cases: [string, string][] = [
    [
      FLEET.replace("finaldelay: 1s }", "finaldelay: 1500ms }"),
      "f.yaml:6:49: fleet.0.finaldelay: expected whole seconds (upsmon.conf takes seconds)",
    ],
    [
      FLEET.replace("name: boss", "name: program"),
      'f.yaml:7:13: fleet.1.name: expected a name other than "program" and "upsd"',
    ],
    [
      FLEET.replace("role: primary,", "role: primary, password: x,"),
      'f.yaml:7:34: fleet.1.password: unknown key "password"',
    ],
    [
      FLEET.replace("name: boss", "name: sec-a"),
      'f.yaml: fleet.1.name: "sec-a" is used twice',
    ],
    [
      FLEET.replace("role: primary", "role: secondary"),
      'f.yaml: timeline: the fault "fleet_fsd" needs a fleet host with role primary',
    ],
    [
      FLEET.replace("logged_out: [sec-a]", "logged_out: [sec-b]"),
      'f.yaml: expect.fleet.logged_out.0: no fleet host "sec-b"',
    ],
    [
      FLEET.replace("[sec-a.logout,", "[sec-a.exit,"),
      'f.yaml: expect.fleet.order.0.0: "sec-a.exit": expected sec-a.login|fsd|shutdowncmd|logout',
    ],
    [
      FLEET.replace("program.first_step]", "upsd.login]"),
      'f.yaml: expect.fleet.order.0.1: "upsd.login": upsd has only "upsd.fsd"',
    ],
    [
      FLEET.replace(
        "gone_at_power_off: [program,",
        "gone_at_power_off: [ups-monitor,",
      ),
      'f.yaml: expect.fleet.gone_at_power_off.0: no fleet host "ups-monitor" (or "program")',
    ],
    [
      FLEET.replace("{{sec-a}}", "{{sec-c}}"),
      'f.yaml: expect.fleet.message: no fleet host "sec-c"',
    ],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseProfile(text, "f.yaml"),
      (error: unknown) => {
        assert.ok(error instanceof ProfileError);
        assert.deepEqual(error.problems, [problem]);
        return true;
      },
    );
  }
});
