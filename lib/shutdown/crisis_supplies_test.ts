import assert from "node:assert/strict";
import { flag, NOW, running } from "../testing/crisis_fixtures.ts";
import { transition } from "./crisis_machine.ts";

Deno.test("power back does not abort a sequence of several UPSes whose shortfall came with FSD or a fail-safe", () => {
  const supplies = { trigger: "supplies", message: "0 of 2 supplies fed" };
  const abortable = running(flag({ reason: supplies }));
  assert.equal(
    transition(abortable, { kind: "power_stable", nowMs: NOW }).mode.mode,
    "aborting",
  );
  const held = running(flag({ reason: { ...supplies, abortable: false } }));
  const next = transition(held, { kind: "power_stable", nowMs: NOW });
  assert.equal(next.mode, held);
  assert.deepEqual(next.effects, []);
});
