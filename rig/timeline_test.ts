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
