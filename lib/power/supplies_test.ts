import assert from "node:assert/strict";
import { initialState } from "./state.ts";
import {
  initialSupplyMemo,
  safetyOf,
  stepSupplies,
  type SupplyUps,
  type UpsSafety,
  weighSupplies,
} from "./supplies.ts";

const SAFE: UpsSafety = { kind: "safe", detail: "on line" };
const UNSAFE: UpsSafety = { kind: "unsafe", detail: "low_charge: charge 15%" };
const UNKNOWN: UpsSafety = {
  kind: "unknown",
  detail: "link lost while on line",
};

function upses(...list: [string, number, UpsSafety][]): SupplyUps[] {
  return list.map(([name, supplies, safety]) => ({ name, supplies, safety }));
}

Deno.test("weighSupplies(): the host shuts down when fewer supplies than min_supplies are fed by safe UPSes", () => {
  const cases: [string, SupplyUps[], number, boolean, number, boolean][] = [
    // name, UPSes, min_supplies, unknown_is_unsafe, fed, shutdown
    [
      "2 of 2 safe, all needed",
      upses(["a", 1, SAFE], ["b", 1, SAFE]),
      2,
      true,
      2,
      false,
    ],
    [
      "1 of 2 unsafe, all needed",
      upses(["a", 1, UNSAFE], ["b", 1, SAFE]),
      2,
      true,
      1,
      true,
    ],
    [
      "1 of 2 unsafe, one needed",
      upses(["a", 1, UNSAFE], ["b", 1, SAFE]),
      1,
      true,
      1,
      false,
    ],
    [
      "2 of 2 unsafe, one needed",
      upses(["a", 1, UNSAFE], ["b", 1, UNSAFE]),
      1,
      true,
      0,
      true,
    ],
    [
      "weights: the big one left",
      upses(["a", 2, SAFE], ["b", 1, UNSAFE]),
      2,
      true,
      2,
      false,
    ],
    [
      "weights: the big one lost",
      upses(["a", 2, UNSAFE], ["b", 1, SAFE]),
      2,
      true,
      1,
      true,
    ],
    [
      "unknown counts as unsafe",
      upses(["a", 1, UNSAFE], ["b", 1, UNKNOWN]),
      1,
      true,
      0,
      true,
    ],
    [
      "unknown counts as safe",
      upses(["a", 1, UNSAFE], ["b", 1, UNKNOWN]),
      1,
      false,
      1,
      false,
    ],
    ["one UPS, safe", upses(["a", 1, SAFE]), 1, true, 1, false],
    ["one UPS, unsafe", upses(["a", 1, UNSAFE]), 1, true, 0, true],
  ];
  for (
    const [name, list, minSupplies, unknownIsUnsafe, fed, shutdown] of cases
  ) {
    const verdict = weighSupplies(list, { minSupplies, unknownIsUnsafe });
    assert.equal(verdict.fed, fed, name);
    assert.equal(verdict.shutdown, shutdown, name);
    assert.equal(verdict.total, list.reduce((s, u) => s + u.supplies, 0), name);
  }
});

Deno.test("stepSupplies() warns when a UPS turns unsafe without a shutdown, triggers once when the supplies fall short", () => {
  const rules = { minSupplies: 1, unknownIsUnsafe: true };
  let memo = initialSupplyMemo(2);
  const first = stepSupplies(
    memo,
    upses(["a", 1, UNSAFE], ["b", 1, SAFE]),
    rules,
  );
  assert.equal(first.trigger, null);
  assert.deepEqual(first.events.map((e) => [e.name, e.message]), [[
    "supplies.degraded",
    'UPS "a" is unsafe (low_charge: charge 15%), no shutdown: 1 of 2 supplies fed by safe UPSes (min_supplies 1): "a" unsafe (low_charge: charge 15%), "b" safe (on line)',
  ]]);
  memo = first.memo;
  const again = stepSupplies(
    memo,
    upses(["a", 1, UNSAFE], ["b", 1, SAFE]),
    rules,
  );
  assert.deepEqual([again.events, again.trigger], [[], null]);
  const lost = stepSupplies(
    again.memo,
    upses(["a", 1, UNSAFE], ["b", 1, UNKNOWN]),
    rules,
  );
  assert.equal(
    lost.trigger,
    '0 of 2 supplies fed by safe UPSes (min_supplies 1): "a" unsafe (low_charge: charge 15%), "b" unknown (link lost while on line)',
  );
  assert.deepEqual(lost.events, []);
  const still = stepSupplies(
    lost.memo,
    upses(["a", 1, UNSAFE], ["b", 1, UNKNOWN]),
    rules,
  );
  assert.equal(still.trigger, null, "once per crossing");
  const back = stepSupplies(
    still.memo,
    upses(["a", 1, SAFE], ["b", 1, SAFE]),
    rules,
  );
  assert.deepEqual(back.events.map((e) => e.name), [
    "supplies.restored",
    "supplies.restored",
  ]);
});

Deno.test("safetyOf() reads a UPS's power state: fired trigger, lost on line, else safe", () => {
  const base = initialState();
  assert.deepEqual(safetyOf(base), { kind: "safe", detail: "on line" });
  const fired = {
    ...base,
    armed: false,
    lastTrigger: {
      decision: { trigger: "fsd" as const, reason: "FSD set", numbers: {} },
      wallMs: 0,
    },
  };
  assert.deepEqual(safetyOf(fired), { kind: "unsafe", detail: "fsd: FSD set" });
  const lost = {
    ...base,
    trackers: {
      ...base.trackers,
      connection: "lost" as const,
      lastFailure: { kind: "refused" as const, detail: "connection refused" },
    },
  };
  assert.deepEqual(safetyOf(lost), {
    kind: "unknown",
    detail: "link lost while on line: connection refused",
  });
  const stale = {
    ...base,
    trackers: {
      ...base.trackers,
      connection: "stale" as const,
      lastFailure: {
        kind: "driver_not_connected" as const,
        detail: "driver not connected",
      },
    },
  };
  assert.deepEqual(safetyOf(stale), {
    kind: "unknown",
    detail: "data stale while on line: driver not connected",
  });
  assert.deepEqual(safetyOf({ ...lost, onBattery: true }), {
    kind: "safe",
    detail: "on battery",
  });
});
