import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import { snapshot } from "./snapshot.ts";
import type { TriggerName } from "./state.ts";

// The fail-safe: polls without a valid reading while on battery (connection
// failures, WAIT, DATA-STALE, no status, blind readings).

const CONFIG = parseConfig("ups:\n  name: u\n", "t.yaml");

function triggerOf(sim: Sim): TriggerName | null {
  return sim.decisions[0]?.decision.trigger ?? null;
}

Deno.test("step() fires the fail-safe on battery, not on line power", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(90));
  sim.fail();
  sim.fail();
  assert.equal(sim.decisions.length, 0);
  sim.fail();
  assert.equal(
    sim.decisions[0]?.decision.reason,
    "no valid reading for 3 polls (refused: connection refused) while on battery",
  );
  assert.deepEqual(sim.names(), [
    "power.on_battery",
    "connection.lost",
    "shutdown.triggered",
  ]);

  const line = new Sim(CONFIG);
  line.poll(onLine());
  for (let i = 0; i < 20; i++) line.fail("timeout");
  assert.equal(line.decisions.length, 0);
  assert.deepEqual(line.names(), ["connection.lost"]);
});

Deno.test("step() counts WAIT, DATA-STALE and no status as polls without a valid reading", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(90));
  sim.poll({ "ups.status": "WAIT" });
  sim.fail("data_stale");
  sim.poll({ "ups.status": "" });
  assert.equal(triggerOf(sim), "fail_safe");
  assert.deepEqual(sim.names(), [
    "power.on_battery",
    "connection.stale",
    "shutdown.triggered",
  ]);
});

Deno.test("step() restarts the failure count after a valid reading (stale → recovered)", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onBattery(90));
  sim.fail("data_stale");
  sim.fail("data_stale");
  sim.poll(onBattery(90));
  sim.fail("data_stale");
  sim.fail("data_stale");
  assert.equal(sim.decisions.length, 0);
  assert.deepEqual(sim.names(), ["power.on_battery"]);
  const line = new Sim(CONFIG);
  line.poll(onLine());
  for (let i = 0; i < 4; i++) line.fail("data_stale");
  line.poll(onLine());
  assert.deepEqual(line.names(), ["connection.stale", "connection.restored"]);
  assert.equal(line.events[1]!.fields["down_ms"], 4000);
});

Deno.test("step() counts a reading on battery without charge or runtime towards the fail-safe", () => {
  const cases: [string, Record<string, string>, string][] = [
    [
      "NaN",
      onBattery("NaN", { "battery.runtime": "NaN" }),
      'battery.charge "NaN" is not a number, battery.runtime "NaN" is not a number',
    ],
    [
      "empty, missing",
      { "ups.status": "OB DISCHRG", "battery.charge": "" },
      "battery.charge is empty, battery.runtime is missing",
    ],
    [
      "out of range, sentinel",
      onBattery("255", { "battery.runtime": "65535" }),
      'battery.charge "255" is out of range, battery.runtime "65535" is a sentinel',
    ],
  ];
  for (const [name, vars, detail] of cases) {
    const sim = new Sim(CONFIG);
    sim.poll(onLine());
    for (let i = 0; i < 3; i++) sim.poll(vars);
    assert.equal(
      sim.decisions[0]?.decision.reason,
      `no valid reading for 3 polls (no_battery_data: on battery without charge or runtime: ${detail}) while on battery`,
      name,
    );
    assert.deepEqual(sim.names(), [
      "power.on_battery",
      "connection.stale",
      "shutdown.triggered",
    ], name);
  }
});

Deno.test("step() takes a blind reading on battery as a power state, and one usable value as valid", () => {
  const blind = onBattery("NaN", { "battery.runtime": "NaN" });
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  sim.poll(blind);
  sim.poll(blind);
  sim.poll(onBattery(90));
  sim.poll(blind);
  sim.poll(blind);
  assert.equal(sim.decisions.length, 0, "a valid reading restarts the count");
  assert.deepEqual(sim.names(), ["power.on_battery"]);
  assert.equal(snapshot(sim.state, sim.monoMs)["failures"], 2);
  assert.equal(snapshot(sim.state, sim.monoMs)["on_battery_ms"], 4000);

  const lb = new Sim(CONFIG);
  lb.poll(onLine());
  lb.poll({ ...blind, "ups.status": "OB LB" });
  assert.equal(triggerOf(lb), "low_battery_flag", "LB of a blind reading");

  for (
    const vars of [
      onBattery("NaN"),
      onBattery(90, { "battery.runtime": "NaN" }),
      onLine("NaN", { "battery.runtime": "NaN" }),
      // A UPS that serves neither (6 of 618 nut-ddl dumps) relies on LB.
      { "ups.status": "OB DISCHRG" },
    ]
  ) {
    const valid = new Sim(CONFIG);
    for (let i = 0; i < 10; i++) valid.poll(vars);
    assert.equal(valid.decisions.length, 0, JSON.stringify(vars));
    assert.equal(valid.state.trackers.failures, 0, JSON.stringify(vars));
  }
});
