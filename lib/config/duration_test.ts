import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads seconds and unit strings", () => {
  const cases: [unknown, number | null][] = [
    [90, 90_000],
    [0.5, 500],
    ["90", 90_000],
    ["90s", 90_000],
    ["15m", 900_000],
    ["1h30m", 5_400_000],
    ["1m30s", 90_000],
    ["500ms", 500],
    ["1.5s", 1500],
    [" 2m ", 120_000],
    ["1h30m15s500ms", 5_415_500],
    ["1h1h", null],
    ["30m1h", null],
    ["1s1s", null],
    ["500ms1s", null],
    ["1m1m30s", null],
    ["5x", null],
    ["5 s", null],
    ["", null],
    ["-1s", null],
    [-1, null],
    [Number.NaN, null],
    [Infinity, null],
    [null, null],
    [true, null],
  ];
  for (const [input, expected] of cases) {
    assert.equal(parseDuration(input), expected, JSON.stringify(input));
  }
});

Deno.test("formatDuration() writes what a user would", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(900_000), "15m");
  assert.equal(formatDuration(3_600_000), "1h");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(parseDuration(formatDuration(5_400_000)), 5_400_000);
});
