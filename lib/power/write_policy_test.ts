import assert from "node:assert/strict";
import { initialState, type PowerState } from "./state.ts";
import { snapshot } from "./snapshot.ts";
import {
  NOTHING_WRITTEN,
  planWrites,
  STATE_MIN_INTERVAL_MS,
  type WrittenMemo,
} from "./write_policy.ts";

const online: PowerState = { ...initialState(), lastValidMs: 0 };
const onBattery: PowerState = {
  ...online,
  onBattery: true,
  outageStartMs: 0,
};

/** Runs the policy over polls; returns which files each poll wrote. */
function run(polls: { state: PowerState; atMs: number }[]): string[] {
  let memo: WrittenMemo = NOTHING_WRITTEN;
  return polls.map(({ state, atMs }) => {
    const plan = planWrites(memo, snapshot(state, atMs), atMs);
    memo = plan.memo;
    return [plan.state ? "state" : "", plan.history ? "history" : ""]
      .filter((w) => w !== "").join("+") || "-";
  });
}

Deno.test("planWrites() writes both files once, then the state only every minute while only ages change on line power", () => {
  assert.deepEqual(
    run([0, 1000, 2000, 59_000, 60_000, 61_000].map((atMs) => ({
      state: online,
      atMs,
    }))),
    ["state+history", "-", "-", "-", "state", "-"],
  );
});

Deno.test("planWrites() writes the outage every poll on battery and the state at most every interval", () => {
  const polls = [0, 1000, 2000, 3000, 4000, 5000, 6000].map((atMs) => ({
    // The charge moves every poll on battery.
    state: {
      ...onBattery,
      last: null,
      depletion: { ratePerMin: atMs / 1000, samples: 2, spanMs: atMs },
    } as PowerState,
    atMs,
  }));
  assert.deepEqual(run(polls), [
    "state+history",
    "history",
    "history",
    "history",
    "history",
    "state+history",
    "history",
  ]);
  assert.equal(STATE_MIN_INTERVAL_MS, 5000);
});

Deno.test("planWrites() writes at once what matters: the source, arming and the end of an outage", () => {
  assert.deepEqual(
    run([
      { state: online, atMs: 0 },
      { state: onBattery, atMs: 1000 },
      { state: { ...onBattery, armed: false }, atMs: 2000 },
      { state: { ...online, armed: false }, atMs: 3000 },
      { state: { ...online, armed: false }, atMs: 4000 },
    ]),
    ["state+history", "state+history", "state+history", "state+history", "-"],
  );
});
