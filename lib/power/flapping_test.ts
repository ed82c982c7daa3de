import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import type { PowerEvent } from "./events.ts";
import { snapshot } from "./snapshot.ts";

function config(triggers = ""): Config {
  const section = triggers === "" ? "" : `triggers:\n${triggers}`;
  return parseConfig(`ups:\n  name: u\n${section}`, "t.yaml");
}

const CONFIG = config();

function powerEvents(sim: Sim): PowerEvent[] {
  return sim.events.filter((e) => e.name.startsWith("power."));
}

/** Polls on battery and on line in turn, `polls` times, battery first. */
function alternate(
  sim: Sim,
  polls: number,
  battery: (i: number) => Record<string, string> = () => onBattery(90),
): void {
  for (let i = 0; i < polls; i++) {
    sim.poll(i % 2 === 0 ? battery(i) : onLine(90));
    if (sim.decisions.length > 0) return;
  }
}

Deno.test("step() sends one power.flapping for OB/OL every poll and one event when the line holds", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  alternate(sim, 40);
  assert.deepEqual(powerEvents(sim).map((e) => e.name), [
    "power.on_battery",
    "power.restored",
    "power.flapping",
  ]);
  const flapping = powerEvents(sim)[2]!;
  assert.equal(flapping.level, "warning");
  assert.equal(flapping.fields["changes"], 3);
  assert.equal(
    flapping.message,
    "Power flapping between line and battery: 3 changes, each within 5 polls of the last; on battery now, charge 90%",
  );
  assert.equal(snapshot(sim.state, sim.monoMs)["flapping"], true);

  // The line is read on the 40th poll, then on 4 more: it holds.
  for (let i = 0; i < 3; i++) sim.poll(onLine(90));
  assert.equal(powerEvents(sim).length, 3, "the line held 4 polls");
  sim.poll(onLine(90));
  const settled = powerEvents(sim)[3]!;
  assert.equal(settled.name, "power.restored");
  assert.equal(settled.fields["changes"], 40);
  assert.equal(settled.fields["on_battery_ms"], 39_000);
  assert.equal(
    settled.message,
    "Power restored after flapping for 39s: 40 changes between line and battery, charge 90%",
  );
  assert.equal(powerEvents(sim).length, 4);
  assert.equal(snapshot(sim.state, sim.monoMs)["flapping"], false);
  assert.equal(sim.decisions.length, 0);
});

Deno.test("step() ends flapping with power.on_battery when the battery holds", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  alternate(sim, 10);
  for (let i = 0; i < 5; i++) sim.poll(onBattery(80));
  assert.deepEqual(powerEvents(sim).map((e) => e.name), [
    "power.on_battery",
    "power.restored",
    "power.flapping",
    "power.on_battery",
  ]);
  const settled = powerEvents(sim)[3]!;
  assert.equal(settled.fields["changes"], 11);
  assert.equal(settled.fields["on_battery_ms"], 14_000);
  assert.equal(
    settled.message,
    "On battery after flapping for 14s: 11 changes between line and battery, charge 80%, runtime 3000s",
  );
  for (let i = 0; i < 20; i++) sim.poll(onBattery(80));
  assert.equal(powerEvents(sim).length, 4);
});

Deno.test("step() keeps the outage through line returns shorter than the hold: triggers fire under OB/OL every poll", () => {
  const cases: [
    string,
    Config,
    (i: number) => Record<string, string>,
    string,
    number,
  ][] = [
    [
      "extended time",
      config("  extended_time: {enabled: true, after: 30s}\n"),
      () => onBattery(90),
      "on battery 30s >= 30s",
      30_000,
    ],
    [
      "low charge",
      CONFIG,
      () => onBattery(5),
      "charge 5% < 20% for 3 polls",
      4000,
    ],
    [
      "low runtime",
      CONFIG,
      () => onBattery(90, { "battery.runtime": "300" }),
      "runtime 300s < 600s for 3 polls",
      4000,
    ],
    [
      "depletion",
      CONFIG,
      (i) => onBattery(100 - i / 2),
      "depletion 30%/min > 15%/min over 94s (48 samples)",
      94_000,
    ],
  ];
  for (const [name, cfg, battery, reason, afterMs] of cases) {
    const sim = new Sim(cfg);
    sim.poll(onLine());
    const start = sim.monoMs + 1000;
    alternate(sim, 400, battery);
    assert.equal(sim.decisions[0]?.decision.reason, reason, name);
    assert.equal(sim.decisions[0]!.monoMs - start, afterMs, name);
  }
});

Deno.test("step() ends the outage once the line holds for 5 polls, not before", () => {
  const sim = new Sim(CONFIG);
  sim.poll(onLine());
  for (let i = 0; i < 10; i++) sim.poll(onBattery(90), 10_000);
  for (let i = 0; i < 4; i++) sim.poll(onLine(90), 10_000);
  assert.equal(powerEvents(sim).at(-1)?.name, "power.restored");
  assert.equal(powerEvents(sim).at(-1)?.fields["on_battery_ms"], 100_000);
  assert.deepEqual(sim.state.history, [], "no history on line power");
  sim.poll(onBattery(90), 10_000);
  const again = powerEvents(sim).at(-1)!;
  assert.equal(again.name, "power.on_battery");
  assert.equal(again.fields["on_battery_ms"], 140_000);
  assert.equal(
    again.message,
    "On battery again: charge 90%, runtime 3000s",
  );
  assert.equal(snapshot(sim.state, sim.monoMs)["on_battery_ms"], 140_000);
  assert.equal(sim.state.history.length, 11, "the history goes on");

  for (let i = 0; i < 10; i++) sim.poll(onBattery(90), 10_000);
  for (let i = 0; i < 5; i++) sim.poll(onLine(90), 10_000);
  sim.poll(onBattery(90), 10_000);
  const fresh = powerEvents(sim).at(-1)!;
  assert.equal(fresh.name, "power.on_battery");
  assert.equal(fresh.fields["on_battery_ms"], 0, "a new outage");
  assert.equal(fresh.message, "On battery: charge 90%, runtime 3000s");
  assert.deepEqual(powerEvents(sim).map((e) => e.name), [
    "power.on_battery",
    "power.restored",
    "power.on_battery",
    "power.restored",
    "power.on_battery",
  ]);
});
