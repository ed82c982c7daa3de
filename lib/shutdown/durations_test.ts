import assert from "node:assert/strict";
import {
  addRun,
  learnedFor,
  MAX_RUNS_PER_STEP,
  p90,
  parseDurations,
  serializeDurations,
} from "./durations.ts";

const run = (id: string, durationMs: number, status = "done") => ({
  id,
  status,
  durationMs,
});

Deno.test("p90() is the nearest-rank 90th percentile rounded up to whole seconds", () => {
  const table: [number[], number | null][] = [
    [[], null],
    [[1], 1000],
    [[45_000], 45_000],
    [[1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000], 9000],
    [
      [10_000, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 11_000],
      10_000,
    ],
    [[1500, 1200], 2000],
  ];
  for (const [values, expected] of table) {
    assert.equal(p90(values), expected, JSON.stringify(values));
  }
});

Deno.test("addRun() keeps ended steps, never the local shutdown, the last 20 per step", () => {
  let history = addRun(
    {},
    [
      run("vms", 40_000),
      run("containers", 5000, "failed"),
      run("sync", 100, "skipped"),
      run("filesystems", 36_000, "timeout"),
      run("local", 50),
    ],
    false,
    1,
  );
  assert.deepEqual(Object.keys(history), ["vms", "filesystems"]);
  for (let i = 0; i < 30; i++) {
    history = addRun(history, [run("vms", i)], false, i);
  }
  assert.equal(history["vms"]!.length, MAX_RUNS_PER_STEP);
  assert.equal(history["vms"]![0]!.ms, 10);
});

Deno.test("learnedFor() counts real runs only; dry runs are shown, not counted", () => {
  let history = addRun({}, [run("vms", 300)], true, 1);
  assert.deepEqual(learnedFor(history, "vms"), {
    p90Ms: null,
    runs: 0,
    dryRuns: 1,
    dryP90Ms: 1000,
  });
  history = addRun(history, [run("vms", 61_500)], false, 2);
  assert.deepEqual(learnedFor(history, "vms"), {
    p90Ms: 62_000,
    runs: 1,
    dryRuns: 1,
    dryP90Ms: 1000,
  });
  assert.equal(learnedFor(history, "sync"), null);
});

Deno.test("parseDurations() reads what serializeDurations() writes and drops what does not fit", () => {
  const history = addRun(
    {},
    [run("vms", 40_000), run("custom.0", 5)],
    false,
    7,
  );
  assert.deepEqual(parseDurations(serializeDurations(history)), history);
  assert.deepEqual(parseDurations("{half"), {});
  assert.deepEqual(parseDurations("null"), {});
  assert.deepEqual(
    parseDurations(
      '{"steps":{"vms":[{"ms":-1,"dry_run":false,"wall_ms":1},{"ms":5,"dry_run":true,"wall_ms":2}],"x":3}}',
    ),
    { vms: [{ ms: 5, dryRun: true, wallMs: 2 }] },
  );
});
