import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import { snapshot } from "./snapshot.ts";

const CONFIG = parseConfig("ups:\n  name: u\n", "t.yaml");

Deno.test("snapshot() summarises the state for the state file", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  for (let t = 0; t <= 60_000; t += 1000) {
    sim.poll(onBattery(100 - t / 6000, { "battery.runtime": "65535" }));
  }
  sim.fail("timeout");
  const snap = snapshot(sim.state, sim.monoMs);
  assert.equal(snap.status, "OB DISCHRG");
  assert.deepEqual(snap.flags, ["OB", "DISCHRG"]);
  assert.equal(snap["on_battery"], true);
  assert.equal(snap["on_battery_ms"], 61_000);
  assert.equal(snap.charge, 90);
  assert.equal(snap["runtime_s"], null);
  assert.deepEqual(snap.unknown, {
    "runtime_s": 'battery.runtime "65535" is a sentinel',
  });
  assert.equal(snap["depletion_rate_per_min"], 10);
  assert.equal(snap["depletion_samples"], 61);
  assert.equal(snap.failures, 1);
  assert.equal(snap["last_failure"], "timeout: timeout");
  assert.equal(snap.connection, "ok");
  assert.equal(snap["reading_age_ms"], 1000);
  assert.equal(snap["last_trigger"], null);
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
});
