import assert from "node:assert/strict";
import type { Check, TimedEvent } from "./expect.ts";
import {
  type FleetFacts,
  judgeFleet,
  labelOf,
  momentTime,
} from "./expect_fleet.ts";
import { parseProfile } from "./profile.ts";

/** The expectations of fleet-primary, with a hanging third host. */
const EXPECT = parseProfile(
  `description: t
ups: { ups.status: OL }
duration: 20s
fleet:
  - { name: sec-a, role: secondary, finaldelay: 1s }
  - { name: sec-b, role: secondary, finaldelay: 2s }
  - { name: stuck, role: secondary, shutdown: hangs }
expect:
  trigger: low_battery_flag
  fleet:
    fsd: [sec-a, sec-b]
    shutdowncmd: [sec-a, sec-b]
    logged_out: [sec-a, sec-b]
    logged_in: [stuck]
    gone_at_power_off: [program, sec-a, sec-b]
    order:
      - [sec-a.logout, program.first_step]
      - [sec-b.logout, program.first_step]
      - [upsd.fsd, sec-a.fsd]
    wait: { min: 2s, max: 5s }
    message: 'still logged in to "rig": {{stuck}}$'
`,
  "t.yaml",
).expect.fleet!;

function host(
  name: string,
  address: string,
  records: [number, string, string][],
): FleetFacts["hosts"][number] {
  return {
    name,
    role: "secondary",
    address,
    shutdown: name === "stuck" ? "hangs" : "returns",
    records: records.map(([t, event, text]) => ({ t, event, text })),
  };
}

/** A fleet-primary run as the rig read it back (times as measured). */
function facts(): FleetFacts {
  return {
    hosts: [
      host("sec-a", "10.88.0.5", [
        [-1500, "start", "secondary of rig@10.88.0.4:3493"],
        [
          4460,
          "notify:FSD",
          "UPS rig@10.88.0.4:3493: forced shutdown in progress",
        ],
        [4480, "notify:SHUTDOWN", "Auto logout and shutdown proceeding"],
        [5470, "shutdowncmd", "returns; POWERDOWNFLAG present"],
        [5471, "exit", "0"],
      ]),
      host("sec-b", "10.88.0.6", [
        [
          4950,
          "notify:FSD",
          "UPS rig@10.88.0.4:3493: forced shutdown in progress",
        ],
        [4951, "notify:SHUTDOWN", "Auto logout and shutdown proceeding"],
        [6950, "shutdowncmd", "returns; POWERDOWNFLAG present"],
        [6951, "exit", "0"],
      ]),
      host("stuck", "10.88.0.7", [
        [4040, "notify:SHUTDOWN", "Auto logout and shutdown proceeding"],
        [5040, "shutdowncmd", "hangs; POWERDOWNFLAG present"],
      ]),
    ],
    programAddress: "10.88.0.1",
    upsdAddress: "10.88.0.4",
    clients: [
      { t: -1200, address: "10.88.0.5", change: "login" },
      { t: -1100, address: "10.88.0.6", change: "login" },
      { t: -1000, address: "10.88.0.7", change: "login" },
      { t: -900, address: "10.88.0.1", change: "login" },
      { t: 5620, address: "10.88.0.5", change: "logout" },
      { t: 7070, address: "10.88.0.6", change: "logout" },
      { t: 10850, address: "10.88.0.1", change: "logout" },
    ],
    presentAtEnd: ["10.88.0.7"],
    fsdSeen: 4260,
    powerOff: { t: 10840, clients: ["10.88.0.7"] },
    upsd: [
      { t: -1210, kind: "login", user: "mon", address: "10.88.0.5" },
      { t: 4130, kind: "fsd", user: "admin", address: "10.88.0.1" },
      { t: 10830, kind: "logout", user: "admin", address: "10.88.0.1" },
    ],
  };
}

function event(
  t: number,
  name: string,
  fields: Record<string, unknown> = {},
  msg = `${name} happened`,
): TimedEvent {
  // Arrival in the rig lags the program's own stamp by a few ms.
  return { t: t + 4, loggedT: t, event: name, msg, fields };
}

const EVENTS: TimedEvent[] = [
  event(4120, "shutdown.triggered", { reason: "low_battery_flag" }),
  event(4125, "shutdown.step", { step: "fleet", phase: "start" }),
  event(
    7200,
    "shutdown.step",
    {
      step: "fleet",
      phase: "timeout",
      details: "10.88.0.7",
    },
    'FSD to the other hosts: hostsync "10s" passed with 1 other client still logged in to "rig": 10.88.0.7',
  ),
  event(7210, "shutdown.step", { step: "vms", phase: "start" }),
  event(10835, "shutdown.step", { step: "local", phase: "start" }),
];

function judged(f: FleetFacts | null, events = EVENTS): Check[] {
  const checks: Check[] = [];
  judgeFleet((ok, text) => checks.push({ ok, text }), EXPECT, f, events);
  return checks;
}

Deno.test("judgeFleet() passes a run that did what the fleet expects", () => {
  assert.deepEqual(judged(facts()).map((c) => c.text), [
    '"sec-a" recorded NOTIFY FSD at 4.46 s: UPS rig@10.88.0.4:3493: forced shutdown in progress',
    '"sec-b" recorded NOTIFY FSD at 4.95 s: UPS rig@10.88.0.4:3493: forced shutdown in progress',
    '"sec-a" recorded SHUTDOWNCMD at 5.47 s: returns; POWERDOWNFLAG present',
    '"sec-b" recorded SHUTDOWNCMD at 6.95 s: returns; POWERDOWNFLAG present',
    '"sec-a" logged out: upsd stopped listing "10.88.0.5" at 5.62 s',
    '"sec-b" logged out: upsd stopped listing "10.88.0.6" at 7.07 s',
    '"stuck" never logged out: upsd still listed "10.88.0.7" at the end',
    'When the power-off ran, upsd no longer listed "ups-monitor", "sec-a", "sec-b" (listed: "stuck")',
    '"sec-a.logout" (5.47 s) came before "program.first_step" (7.21 s)',
    '"sec-b.logout" (6.95 s) came before "program.first_step" (7.21 s)',
    '"upsd.fsd" (4.13 s) came before "sec-a.fsd" (4.46 s)',
    "The program waited 3.08 s from FSD at upsd to its first own step (2.00 s–5.00 s)",
    'The fleet step\'s message matches /still logged in to "rig": 10\\.88\\.0\\.7$/: "FSD to the other hosts: hostsync "10s" passed with 1 other client still logged in to "rig": 10.88.0.7"',
  ]);
  assert.ok(judged(facts()).every((c) => c.ok));
});

Deno.test("judgeFleet() names what went wrong", () => {
  const cases: [string, (f: FleetFacts) => TimedEvent[] | void, string][] = [
    ["a secondary that never saw FSD", (f) => {
      f.hosts[1]!.records = f.hosts[1]!.records.filter((r) =>
        !r.event.startsWith("notify:")
      );
    }, 'Expected "sec-b" to record FSD, but it recorded "shutdowncmd", "exit"'],
    [
      "a secondary still listed",
      (f) => {
        f.clients = f.clients.filter((c) => c.address !== "10.88.0.6");
      },
      'Expected "sec-b" to log out, but upsd listed "10.88.0.6" until the end',
    ],
    [
      "the hanging host gone",
      (f) => {
        f.presentAtEnd = [];
      },
      'Expected "stuck" still logged in at the end, but upsd no longer listed "10.88.0.7"',
    ],
    [
      "the program still listed at its power-off",
      (f) => {
        f.powerOff!.clients.push("10.88.0.1");
      },
      'Expected "ups-monitor" logged out before the power-off, but upsd still listed it then',
    ],
    [
      "no power-off",
      (f) => {
        f.powerOff = null;
      },
      "Expected the program's power-off to ask upsd who is logged in, but it never ran",
    ],
    [
      "the program's steps before a logout",
      (f) => {
        f.hosts[1]!.records[3]!.t = 7300;
      },
      'Expected "sec-b.logout" before "program.first_step", but it came at 7.30 s and "program.first_step" at 7.21 s',
    ],
    ["no FSD at all", (f) => {
      f.upsd = f.upsd.filter((e) => e.kind !== "fsd");
      f.fsdSeen = null;
    }, 'Expected "upsd.fsd" before "sec-a.fsd", but "upsd.fsd" never happened'],
    [
      "a wait too short",
      () =>
        EVENTS.map((e) =>
          e.fields["step"] === "vms" ? { ...e, t: 5004, loggedT: 5000 } : e
        ),
      "Expected a wait of 2.00 s–5.00 s, but the program waited 0.87 s from FSD at upsd to its first own step",
    ],
    [
      "another host named",
      (f) => {
        f.hosts[2]!.address = "10.88.0.9";
      },
      'Expected the fleet step\'s message to match /still logged in to "rig": 10\\.88\\.0\\.9$/, got "FSD to the other hosts: hostsync "10s" passed with 1 other client still logged in to "rig": 10.88.0.7"',
    ],
  ];
  for (const [name, change, text] of cases) {
    const f = facts();
    const events = change(f) ?? EVENTS;
    const failed = judged(f, events).filter((c) => !c.ok).map((c) => c.text);
    assert.ok(failed.includes(text), `${name}: ${failed.join(" | ")}`);
  }
  assert.deepEqual(judged(null), [
    { ok: false, text: "The fleet could not be read back" },
  ]);
});

Deno.test("momentTime() prefers upsd's log and the recordings to the polls, and the program's own stamps", () => {
  const f = facts();
  assert.equal(momentTime("upsd.fsd", f, EVENTS), 4130);
  assert.equal(momentTime("program.logout", f, EVENTS), 10830);
  assert.equal(momentTime("sec-a.login", f, EVENTS), -1210);
  assert.equal(momentTime("sec-b.login", f, EVENTS), -1100);
  assert.equal(momentTime("sec-a.logout", f, EVENTS), 5471);
  assert.equal(momentTime("program.first_step", f, EVENTS), 7210);
  assert.equal(momentTime("program.fleet", f, EVENTS), 4125);
  assert.equal(momentTime("program.power_off", f, EVENTS), 10840);
  assert.equal(momentTime("stuck.logout", f, EVENTS), undefined);
  f.upsd = [];
  assert.equal(momentTime("upsd.fsd", f, EVENTS), 4260);
  assert.equal(momentTime("program.logout", f, EVENTS), 10850);
  assert.equal(labelOf(f, "10.88.0.1"), "ups-monitor");
  assert.equal(labelOf(f, "10.88.0.4"), "upsd");
  assert.equal(labelOf(f, "10.88.0.6"), "sec-b");
  assert.equal(labelOf(f, "192.0.2.9"), "192.0.2.9");
});
