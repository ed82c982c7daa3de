import assert from "node:assert/strict";
import { parseProfile } from "./profile.ts";
import { expandTimeline, playTimeline, seriesOf } from "./timeline.ts";

function timeline(yaml: string) {
  return parseProfile(
    `description: t\nups: { battery.charge: 100 }\nduration: 5s\nexpect: { trigger: none }\ntimeline:\n${yaml}`,
    "t.yaml",
  ).timeline;
}

Deno.test("expandTimeline() expands a ramp into one SET per step, ending on its last value", () => {
  const actions = expandTimeline(timeline(
    "  - { at: 5s, ramp: { var: battery.charge, from: 100, to: 40, over: 3s, step: 1s } }",
  ));
  assert.deepEqual(actions, [
    { atMs: 5000, kind: "set", values: { "battery.charge": "100" } },
    { atMs: 6000, kind: "set", values: { "battery.charge": "80" } },
    { atMs: 7000, kind: "set", values: { "battery.charge": "60" } },
    { atMs: 8000, kind: "set", values: { "battery.charge": "40" } },
  ]);
});

Deno.test("expandTimeline() orders by time and keeps set, fault, mark order within an entry", () => {
  const actions = expandTimeline(timeline([
    "  - { at: 2s, fault: link_down, mark: down }",
    "  - { at: 1s, set: { ups.status: OB }, mark: outage }",
  ].join("\n")));
  assert.deepEqual(actions.map((a) => `${a.atMs} ${a.kind}`), [
    "1000 set",
    "1000 mark",
    "2000 fault",
    "2000 mark",
  ]);
});

Deno.test("playTimeline() records marks and failures and goes on after a failure", async () => {
  const actions = expandTimeline(timeline([
    "  - { at: 0s, set: { battery.charge: 90 } }",
    "  - { at: 50ms, fault: pause, mark: silent }",
    "  - { at: 100ms, set: { battery.charge: 80 } }",
  ].join("\n")));
  const seen: string[] = [];
  const { result, done } = playTimeline(actions, {
    set(values) {
      seen.push(JSON.stringify(values));
      return Promise.resolve();
    },
    fault(fault) {
      return Promise.reject(new Error(`Cannot cause "${fault}"`));
    },
  }, { startMs: performance.now(), signal: new AbortController().signal });
  await done;
  assert.deepEqual(seen, [
    '{"battery.charge":"90"}',
    '{"battery.charge":"80"}',
  ]);
  assert.equal(result.played[1]!.error, 'Cannot cause "pause"');
  assert.ok(result.marks["silent"]! >= 50);
  assert.deepEqual(
    seriesOf("battery.charge", { "battery.charge": "100" }, result.played)
      .map((p) => p.v),
    [100, 90, 80],
  );
});

function twoUpsTimeline(yaml: string) {
  return parseProfile(
    `description: t\nups: { battery.charge: 100 }\nupses: { rig2: { battery.charge: 100 } }\nduration: 5s\nexpect: { trigger: none }\ntimeline:\n${yaml}`,
    "t.yaml",
  ).timeline;
}

Deno.test("playTimeline() hands each set and fault the UPS its entry aims at, and seriesOf() keeps one UPS's values", async () => {
  const actions = expandTimeline(twoUpsTimeline([
    "  - { at: 0s, set: { battery.charge: 90 } }",
    "  - { at: 10ms, ups: rig2, ramp: { var: battery.charge, from: 50, to: 40, over: 20ms, step: 10ms } }",
    "  - { at: 40ms, ups: rig2, fault: kill_driver }",
    "  - { at: 50ms, ups: rig, set: { battery.charge: 80 } }",
  ].join("\n")));
  const seen: string[] = [];
  const { result, done } = playTimeline(actions, {
    set(values, ups) {
      seen.push(`${ups} ${values["battery.charge"]}`);
      return Promise.resolve();
    },
    fault(fault, ups) {
      seen.push(`${ups} ${fault}`);
      return Promise.resolve();
    },
  }, { startMs: performance.now(), signal: new AbortController().signal });
  await done;
  assert.deepEqual(seen, [
    "undefined 90",
    "rig2 50",
    "rig2 45",
    "rig2 40",
    "rig2 kill_driver",
    "rig 80",
  ]);
  const initial = { "battery.charge": "100" };
  assert.deepEqual(
    seriesOf("battery.charge", initial, result.played).map((p) => p.v),
    [100, 90, 80],
  );
  assert.deepEqual(
    seriesOf("battery.charge", initial, result.played, "rig2").map((p) => p.v),
    [100, 50, 45, 40],
  );
});
