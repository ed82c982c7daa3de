import assert from "node:assert/strict";
import { POLL_BUCKETS_S, POLL_FAILURE_KINDS, PollStats } from "./poll_stats.ts";

Deno.test("PollStats.record() puts each poll in the first bucket at or above its duration", () => {
  const stats = new PollStats();
  const cases: [number, number][] = [
    [0, 0], // 0 s: the first bucket (le 0.0005)
    [0.5, 0], // exactly on a bound: that bucket (le is inclusive)
    [0.6, 1],
    [4, 3],
    [5000, 12],
    [10_000, 13],
    [10_001, 14], // above the last bound: +Inf only
    [-1, 0], // a clock step backwards counts as 0
  ];
  for (const [ms] of cases) stats.record(ms, null);
  const expected = new Float64Array(POLL_BUCKETS_S.length + 1);
  for (const [, bucket] of cases) expected[bucket]!++;
  assert.deepEqual(stats.buckets, expected);
  assert.equal(stats.count, cases.length);
  const sumS = (0.5 + 0.6 + 4 + 5000 + 10_000 + 10_001) / 1000;
  assert.ok(Math.abs(stats.sumS - sumS) < 1e-9, `${stats.sumS} != ${sumS}`);
});

Deno.test("PollStats.record() counts failures by kind, every kind listed from the start", () => {
  const stats = new PollStats();
  assert.deepEqual(
    Object.keys(stats.failures).sort(),
    [...POLL_FAILURE_KINDS].sort(),
  );
  assert.ok(Object.values(stats.failures).every((n) => n === 0));
  stats.record(1, "timeout");
  stats.record(1, "timeout");
  stats.record(1, "data_stale");
  stats.record(1, null);
  assert.equal(stats.failures.timeout, 2);
  assert.equal(stats.failures.data_stale, 1);
  assert.equal(stats.failures.refused, 0);
  assert.equal(stats.count, 4);
});
