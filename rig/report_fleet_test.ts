import assert from "node:assert/strict";
import type { TimedEvent } from "./expect.ts";
import type { FleetFacts } from "./expect_fleet.ts";
import { formatResult, renderHtml } from "./report.ts";
import {
  fleetTimeline,
  fleetTimelineHtml,
  formatFleetTimeline,
} from "./report_fleet.ts";
import type { ScenarioResult } from "./scenario.ts";

/** A stock primary and the program as its secondary, as read back. */
const FACTS: FleetFacts = {
  hosts: [{
    name: "nut-primary",
    role: "primary",
    address: "10.88.0.5",
    shutdown: "returns",
    records: [
      { t: -1500, event: "start", text: "primary of rig@10.88.0.4:3493" },
      { t: 7140, event: "notify:SHUTDOWN", text: "Auto logout <now>" },
      {
        t: 8140,
        event: "shutdowncmd",
        text: "returns; POWERDOWNFLAG present",
      },
      { t: 8141, event: "exit", text: "0" },
    ],
  }],
  programAddress: "10.88.0.1",
  upsdAddress: "10.88.0.4",
  clients: [
    { t: -1000, address: "10.88.0.5", change: "login" },
    { t: 7120, address: "10.88.0.1", change: "logout" },
    { t: 8320, address: "10.88.0.5", change: "logout" },
  ],
  presentAtEnd: [],
  fsdSeen: 3300,
  powerOff: { t: 6980, clients: ["10.88.0.5"] },
  upsd: [
    { t: -1210, kind: "login", user: "admin", address: "10.88.0.5" },
    { t: 3120, kind: "fsd", user: "admin", address: "10.88.0.5" },
    { t: 6970, kind: "logout", user: "mon", address: "10.88.0.1" },
  ],
};

const EVENTS: TimedEvent[] = [
  {
    t: 3325,
    loggedT: 3320,
    event: "shutdown.triggered",
    msg: "Shutdown triggered",
    fields: { reason: "fsd" },
  },
  {
    t: 3335,
    loggedT: 3330,
    event: "shutdown.step",
    msg: "Starting VMs",
    fields: { step: "vms", phase: "start" },
  },
  {
    t: 6300,
    event: "shutdown.step",
    msg: "Starting Sync",
    fields: { step: "sync", phase: "start" },
  },
  {
    t: 6975,
    loggedT: 6972,
    event: "shutdown.step",
    msg: "Starting Local shutdown",
    fields: { step: "local", phase: "start" },
  },
  {
    t: 6990,
    event: "shutdown.complete",
    msg: "Shutdown sequence complete",
    fields: {},
  },
];

Deno.test("formatFleetTimeline() shows who got FSD, ran SHUTDOWNCMD and logged out when, from the start on", () => {
  assert.deepEqual(formatFleetTimeline(FACTS, EVENTS), [
    "  fleet: nut-primary 10.88.0.5 (primary, SHUTDOWNCMD returns); ups-monitor 10.88.0.1; upsd 10.88.0.4",
    '     +3.12 s  nut-primary  set FSD as "admin" (upsd\'s log)',
    "     +3.30 s  upsd         ups.status has FSD",
    '     +3.32 s  ups-monitor  trigger "fsd"',
    '     +3.33 s  ups-monitor  first own step: step "vms" started',
    "     +6.97 s  ups-monitor  logged out with LOGOUT (upsd's log)",
    '     +6.97 s  ups-monitor  step "local" started',
    '     +6.98 s  ups-monitor  power-off ran; upsd listed "nut-primary"',
    "     +6.99 s  ups-monitor  sequence complete",
    "     +7.12 s  ups-monitor  left LIST CLIENT",
    "     +7.14 s  nut-primary  NOTIFY SHUTDOWN: Auto logout <now>",
    "     +8.14 s  nut-primary  SHUTDOWNCMD ran (returns; POWERDOWNFLAG present)",
    "     +8.14 s  nut-primary  upsmon exited with code 0",
    "     +8.32 s  nut-primary  left LIST CLIENT",
  ]);
});

Deno.test("fleetTimelineHtml() has every row, the logins before the start too, escaped", () => {
  const rows = fleetTimeline(FACTS, EVENTS);
  assert.deepEqual(rows[0], {
    t: -1210,
    who: "nut-primary",
    what: 'logged in as "admin" (upsd\'s log)',
  });
  const html = fleetTimelineHtml(FACTS, EVENTS);
  assert.equal(html.match(/<tr>/g)?.length, rows.length + 1);
  assert.match(html, /<td>-1\.21 s<\/td><td>nut-primary<\/td>/);
  assert.match(html, /Auto logout &lt;now&gt;/);
});

Deno.test("formatResult() and renderHtml() show the fleet of a scenario that has one", () => {
  const result: ScenarioResult = {
    name: "fleet-stock-primary",
    description: "A stock primary",
    verdict: {
      passed: true,
      checks: [{ ok: true, text: "Trigger fired" }],
      firstFailure: null,
      trigger: null,
      steps: [],
    },
    wallMs: 14_000,
    spanMs: 9000,
    series: { charge: [], runtime: [], voltage: [] },
    events: EVENTS,
    marks: { start: 0 },
    faults: [],
    facts: null,
    fleet: FACTS,
  };
  const text = formatResult(result);
  assert.match(text, /\n {2}fleet: nut-primary 10\.88\.0\.5 \(primary/);
  assert.match(text, /\n {5}\+8\.14 s {2}nut-primary {2}SHUTDOWNCMD ran/);
  assert.match(
    renderHtml([result], {
      engine: "podman",
      program: "deno",
      wallMs: 1,
    }),
    /<h3>Fleet<\/h3>\n<table class="fleet">/,
  );
  const { fleet: _, ...without } = result;
  assert.doesNotMatch(formatResult(without), /fleet:/);
});
