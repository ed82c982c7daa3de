import assert from "node:assert/strict";
import {
  addTiming,
  pollJitter,
  summarizeTiming,
  TIMING_WINDOW,
  timingOf,
} from "./timing.ts";

Deno.test("summarizeTiming() gives the median and maximum of the last polls", () => {
  let window = addTiming([], { pollMs: 0.5, decideMs: 0.02, jitterMs: null });
  window = addTiming(window, { pollMs: 0.3, decideMs: 0.04, jitterMs: 1.5 });
  window = addTiming(window, {
    pollMs: 2.1234567,
    decideMs: 0.01,
    jitterMs: -0.25,
  });
  window = addTiming(window, { pollMs: 0.4, decideMs: 0.03, jitterMs: 0.5 });
  assert.deepEqual(summarizeTiming(window), {
    polls: 4,
    "poll_ms": { median: 0.45, max: 2.123 },
    "decide_ms": { median: 0.025, max: 0.04 },
    "jitter_ms": { median: 0.5, max: 1.5 },
  });
  assert.equal(summarizeTiming([]), null);
});

Deno.test("summarizeTiming() has no jitter before a second poll", () => {
  const window = addTiming([], { pollMs: 0.5, decideMs: 0.02, jitterMs: null });
  assert.equal(summarizeTiming(window)?.jitter_ms, null);
});

Deno.test("pollJitter() is the time between poll starts less the interval", () => {
  assert.equal(pollJitter(5000, null, 1000), null);
  assert.equal(pollJitter(2003.5, 1000, 1000), 3.5);
  assert.equal(pollJitter(1999, 1000, 1000), -1);
  assert.equal(pollJitter(9000, 1000, 1000), 7000);
});

Deno.test("addTiming() keeps the last TIMING_WINDOW polls", () => {
  let window = addTiming([], { pollMs: 99, decideMs: 99, jitterMs: 99 });
  for (let i = 0; i < TIMING_WINDOW; i++) {
    window = addTiming(window, { pollMs: 1, decideMs: 1, jitterMs: 1 });
  }
  assert.equal(window.length, TIMING_WINDOW);
  assert.equal(summarizeTiming(window)?.poll_ms.max, 1);
  assert.equal(summarizeTiming(window)?.jitter_ms?.max, 1);
});

Deno.test("timingOf() reads a state file's timings and rejects anything else", () => {
  const timing = {
    polls: 2,
    "poll_ms": { median: 0.4, max: 0.9 },
    "decide_ms": { median: 0.01, max: 0.02 },
    "jitter_ms": { median: 0.3, max: 1.2 },
  };
  assert.deepEqual(timingOf({ status: "OL", timing }), timing);
  assert.deepEqual(
    timingOf({ timing: { ...timing, "jitter_ms": null } }),
    { ...timing, "jitter_ms": null },
  );
  assert.equal(timingOf({ status: "OL" }), null);
  assert.equal(timingOf(null), null);
  assert.equal(timingOf({ timing: { ...timing, polls: "2" } }), null);
  assert.equal(
    timingOf({ timing: { ...timing, "poll_ms": { median: null, max: 1 } } }),
    null,
  );
  assert.equal(
    timingOf({ timing: { ...timing, "jitter_ms": { median: 1 } } }),
    null,
  );
});

Deno.test("timingOf() reads a file of a daemon without jitter as jitter null", () => {
  const { "jitter_ms": _, ...older } = {
    polls: 2,
    "poll_ms": { median: 0.4, max: 0.9 },
    "decide_ms": { median: 0.01, max: 0.02 },
    "jitter_ms": null,
  };
  assert.deepEqual(timingOf({ timing: older }), {
    ...older,
    "jitter_ms": null,
  });
});
