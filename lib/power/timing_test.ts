import assert from "node:assert/strict";
import {
  addTiming,
  summarizeTiming,
  TIMING_WINDOW,
  timingOf,
} from "./timing.ts";

Deno.test("summarizeTiming() gives the median and maximum of the last polls", () => {
  let window = addTiming([], { pollMs: 0.5, decideMs: 0.02 });
  window = addTiming(window, { pollMs: 0.3, decideMs: 0.04 });
  window = addTiming(window, { pollMs: 2.1234567, decideMs: 0.01 });
  assert.deepEqual(summarizeTiming(window), {
    polls: 3,
    "poll_ms": { median: 0.5, max: 2.123 },
    "decide_ms": { median: 0.02, max: 0.04 },
  });
  assert.equal(summarizeTiming([]), null);
});

Deno.test("addTiming() keeps the last TIMING_WINDOW polls", () => {
  let window = addTiming([], { pollMs: 99, decideMs: 99 });
  for (let i = 0; i < TIMING_WINDOW; i++) {
    window = addTiming(window, { pollMs: 1, decideMs: 1 });
  }
  assert.equal(window.length, TIMING_WINDOW);
  assert.equal(summarizeTiming(window)?.poll_ms.max, 1);
});

Deno.test("timingOf() reads a state file's timings and rejects anything else", () => {
  const timing = {
    polls: 2,
    "poll_ms": { median: 0.4, max: 0.9 },
    "decide_ms": { median: 0.01, max: 0.02 },
  };
  assert.deepEqual(timingOf({ status: "OL", timing }), timing);
  assert.equal(timingOf({ status: "OL" }), null);
  assert.equal(timingOf(null), null);
  assert.equal(timingOf({ timing: { ...timing, polls: "2" } }), null);
  assert.equal(
    timingOf({ timing: { ...timing, "poll_ms": { median: null, max: 1 } } }),
    null,
  );
});
