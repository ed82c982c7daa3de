import assert from "node:assert/strict";
import { age, readinessLines, readinessOf } from "./report.ts";
import { allReady, applyRound, type RoundResult } from "./state.ts";

const ok = (id: string): RoundResult => ({
  id,
  title: id.toUpperCase(),
  ready: true,
  detail: "fine",
});
const bad = (id: string, detail = "broken"): RoundResult => ({
  id,
  title: id.toUpperCase(),
  ready: false,
  detail,
});

Deno.test("applyRound() reports a check once when it breaks and once when it is back", () => {
  const rounds = [
    [ok("vms"), ok("nas")],
    [ok("vms"), bad("nas")],
    [ok("vms"), bad("nas", "still broken")],
    [ok("vms"), ok("nas")],
    [ok("vms"), ok("nas")],
  ];
  let state = {};
  const reported: string[] = [];
  rounds.forEach((round, i) => {
    const next = applyRound(state, round, i * 1000);
    state = next.state;
    reported.push(
      next.changes.map((c) => `${c.id}:${c.state.ready}:${c.wasReady}`)
        .join(",") || "-",
    );
  });
  assert.deepEqual(reported, [
    "-",
    "nas:false:true",
    "-",
    "nas:true:false",
    "-",
  ]);
});

Deno.test("applyRound() reports a check that is not ready at its first round, keeps since, drops removed checks", () => {
  const first = applyRound({}, [bad("vms"), ok("nas")], 0);
  assert.deepEqual(first.changes.map((c) => c.id), ["vms"]);
  assert.equal(allReady(first.state), false);
  const second = applyRound(first.state, [bad("vms", "other")], 5000);
  assert.deepEqual(second.changes, []);
  assert.equal(second.state["vms"]?.sinceMs, 0);
  assert.equal(second.state["vms"]?.checkedMs, 5000);
  assert.equal(second.state["vms"]?.detail, "other");
  assert.equal(second.state["nas"], undefined);
});

Deno.test("readinessLines() shows each check with its state, reason and age", () => {
  const { state } = applyRound(
    {},
    [ok("vms"), bad("nas", "host key changed")],
    0,
  );
  assert.deepEqual(readinessLines(state, 3_720_000, ""), [
    "  readiness    1 of 2 checks NOT READY (checked 1 h 2 min ago)",
    "    VMS  ready: fine",
    "    NAS  NOT READY for 1 h 2 min: host key changed",
  ]);
  assert.deepEqual(readinessLines(null, 0, "no daemon is running"), [
    "  readiness    unknown: no daemon is running",
  ]);
});

Deno.test("readinessOf() reads the state file's readiness and nothing else", () => {
  const { state } = applyRound({}, [ok("vms")], 7);
  assert.deepEqual(readinessOf({ status: "OL", readiness: state }), state);
  assert.equal(readinessOf({ status: "OL" }), null);
  assert.equal(readinessOf({ readiness: { vms: { ready: "yes" } } }), null);
  assert.equal(readinessOf("text"), null);
});

Deno.test("age() is short and exact", () => {
  assert.deepEqual(
    [0, 45_000, 720_000, 11_100_000, 187_200_000].map(age),
    ["0 s", "45 s", "12 min", "3 h 5 min", "2 d 4 h"],
  );
});
