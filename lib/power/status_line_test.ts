import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { onBattery, onLine, Sim } from "../testing/power_sim.ts";
import { snapshot } from "./snapshot.ts";
import {
  spokenDuration,
  STATUS_LINE_MAX,
  statusKey,
  statusLine,
} from "./status_line.ts";

const CONFIG = parseConfig("ups:\n  name: u\n", "t.yaml");

/** A simulation with the plan's time needed, so the budget is known. */
function sim(): Sim {
  return new Sim({ ...CONFIG, neededMs: 120_000 });
}

const line = (s: Sim) => statusLine(snapshot(s.state, s.monoMs, s.config));

Deno.test("statusLine() reads the power state, charge, runtime and load on line power", () => {
  const s = sim();
  s.poll(onLine(100, { "ups.load": "23", "battery.runtime": "1800" }));
  assert.equal(
    line(s),
    "On line, charging, charge 100 %, runtime 30 min, load 23 %",
  );
  s.poll(onLine(100, { "ups.status": "OL", "battery.charge": "n/a" }));
  assert.equal(
    line(s),
    "On line, runtime 50 min, load 30 %",
    "unknown charge left out",
  );
});

Deno.test("statusLine() names the time on battery and the trigger nearest to firing", () => {
  const s = sim();
  s.poll(onLine());
  for (let i = 0; i < 40; i++) {
    s.poll(
      onBattery(100 - i * 0.2, { "battery.runtime": String(1500 - i * 5) }),
    );
  }
  assert.equal(
    line(s),
    "On battery for 39 s, charge 92.2 %, runtime 21 min 45 s, load 30 %, next trigger low_charge in 6 min 1 s",
  );
});

Deno.test("statusLine() says why there is no reading, and keeps the last one when the connection is lost", () => {
  const none = sim();
  none.fail("timeout");
  assert.equal(
    line(none),
    "No reading from upsd yet (1 failed poll: no reply)",
  );
  none.fail("timeout");
  assert.equal(
    line(none),
    "No reading from upsd yet (2 failed polls: no reply)",
  );
  const lost = sim();
  lost.poll(onLine());
  for (let i = 0; i < 3; i++) lost.fail("refused");
  assert.equal(
    line(lost),
    "Connection lost (3 failed polls: connection refused); last reading: on line, charging, charge 100 %, runtime 50 min, load 30 %",
  );
});

Deno.test("statusLine() puts a trigger first", () => {
  const s = sim();
  s.poll(onLine());
  s.poll(onBattery(50, { "ups.status": "OB LB" }));
  assert.equal(
    line(s),
    "Shutdown triggered by low_battery_flag; on battery for 0 s, low battery, charge 50 %, runtime 50 min, load 30 %",
  );
});

Deno.test("statusLine() stays within STATUS_LINE_MAX characters", () => {
  const s = sim();
  s.poll(onLine(100, {
    "ups.status": "OL FSD LB RB OVER BYPASS OFF CAL BOOST TRIM CHRG",
  }));
  for (let i = 0; i < 3; i++) s.fail("driver_not_connected");
  const text = line(s);
  assert.equal(text.length, STATUS_LINE_MAX);
  assert.match(
    text,
    /^Connection stale \(3 failed polls: driver not connected\); last reading: on line, forced shutdown, low battery, .*…$/,
  );
});

Deno.test("statusKey() changes with the meaning of the line, not with its numbers", () => {
  const s = sim();
  s.poll(onLine(100));
  const key = (x: Sim) => statusKey(snapshot(x.state, x.monoMs));
  const online = key(s);
  s.poll(onLine(99, { "ups.load": "40" }));
  assert.equal(key(s), online);
  s.poll(onBattery(98));
  const onbattery = key(s);
  assert.notEqual(onbattery, online);
  s.poll(onBattery(97));
  assert.equal(key(s), onbattery, "seconds on battery and charge are numbers");
  s.poll(onBattery(96, { "ups.status": "OB RB" }));
  assert.notEqual(key(s), onbattery, "a flag is news");
});

Deno.test("spokenDuration() says seconds, minutes and hours", () => {
  const cases: [number, string][] = [
    [0, "0 s"],
    [44.6, "45 s"],
    [60, "1 min"],
    [190, "3 min 10 s"],
    [3600, "1 h"],
    [7500, "2 h 5 min"],
    [-3, "0 s"],
  ];
  for (const [seconds, words] of cases) {
    assert.equal(spokenDuration(seconds), words, String(seconds));
  }
});
