import assert from "node:assert/strict";
import { readReading } from "../power/reading.ts";
import type { PollInput } from "../power/state.ts";
import { holdReached, lineHoldSince } from "./abort_hold.ts";

const poll = (status: string): PollInput => ({
  kind: "reading",
  reading: readReading(new Map([["ups.status", status]]), 0),
});
const failed: PollInput = {
  kind: "failure",
  failure: { kind: "timeout", detail: "no reply" },
};

/** Feeds polls one second apart; says when the hold of 3 s is reached. */
function reached(polls: PollInput[]): boolean[] {
  let since: number | null = null;
  return polls.map((input, i) => {
    since = lineHoldSince(since, input, i * 1000);
    return holdReached(since, i * 1000, 3000);
  });
}

Deno.test("holdReached() needs line power without OB, FSD or LB on every poll for the hold", () => {
  const ol = poll("OL CHRG");
  assert.deepEqual(reached([ol, ol, ol, ol, ol]), [
    false,
    false,
    false,
    true,
    true,
  ]);
  for (
    const breaker of [
      poll("OB DISCHRG"),
      poll("OL LB"),
      poll("OL FSD"),
      failed,
      poll("WAIT"),
    ]
  ) {
    assert.deepEqual(
      reached([ol, ol, breaker, ol, ol, ol, ol]),
      [false, false, false, false, false, false, true],
      JSON.stringify(breaker),
    );
  }
});
