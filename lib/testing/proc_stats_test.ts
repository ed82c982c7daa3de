import assert from "node:assert/strict";
import {
  addEndedThreads,
  parseStat,
  parseStatus,
  type TreeSample,
  usageBetween,
} from "./proc_stats.ts";
import { median } from "./bench_report.ts";

// Reading /proc needs Deno's --allow-all, which the test permission set does
// not grant: these tests cover the parsing and arithmetic on captured text;
// `deno task bench:system --short` exercises the readers on live processes.

Deno.test("parseStat() counts fields from the last parenthesis of the command name", () => {
  const line = "4242 (deno (main) x) S 4241 4242 4242 0 -1 4194560 " +
    "1520 0 0 0 37 12 5 3 20 0 9 0 153728 3133440 416\n";
  assert.deepEqual(parseStat(line), {
    pid: 4242,
    ppid: 4241,
    utime: 37,
    stime: 12,
    cutime: 5,
    cstime: 3,
  });
});

Deno.test("parseStat() rejects a line that is not a stat line", () => {
  assert.throws(
    () => parseStat("not a stat line"),
    new SyntaxError('Cannot parse a stat line: "not a stat line"'),
  );
});

Deno.test("parseStatus() reads memory and context switches; an absent field reads 0", () => {
  const text = "Name:\tupsmon\nVmHWM:\t    5600 kB\nVmRSS:\t    5412 kB\n" +
    "RssAnon:\t     812 kB\nRssFile:\t    4600 kB\n" +
    "Threads:\t1\nvoluntary_ctxt_switches:\t120\n" +
    "nonvoluntary_ctxt_switches:\t3\n";
  assert.deepEqual(parseStatus(text), {
    vmRssKb: 5412,
    vmHwmKb: 5600,
    rssAnonKb: 812,
    voluntary: 120,
    nonvoluntary: 3,
  });
  assert.deepEqual(parseStatus("Name:\tzombie\nState:\tZ\n"), {
    vmRssKb: 0,
    vmHwmKb: 0,
    rssAnonKb: 0,
    voluntary: 0,
    nonvoluntary: 0,
  });
});

function sample(
  atMs: number,
  cpuTicks: number,
  tasks: Record<string, [switches: number, cpuNs: number]>,
  rssKb = 0,
): TreeSample {
  const entries = Object.entries(tasks);
  return {
    atMs,
    pids: [1],
    cpuTicks,
    switches: new Map(entries.map(([t, [s]]) => [t, s])),
    taskCpuNs: new Map(entries.map(([t, [, ns]]) => [t, ns])),
    rssKb,
    hwmKb: rssKb,
    anonKb: rssKb / 2,
  };
}

Deno.test("usageBetween() counts a new thread from zero and reports one that ended", () => {
  const start = sample(0, 100, { "1/1": [10, 5e6], "1/2": [50, 1e6] });
  const end = sample(2000, 103, { "1/1": [14, 9e6], "1/3": [2, 2e6] }, 2048);
  const usage = usageBetween(start, end);
  assert.equal(usage.seconds, 2);
  assert.equal(usage.cpuMs, 6); // (9-5) + 2 ms; thread 2's share is lost
  assert.equal(usage.cpuPercent, 0.3);
  assert.equal(usage.statCpuMs, 30);
  assert.equal(usage.wakeupsPerS, 3); // (4 + 2) switches in 2 s
  assert.equal(usage.threads, 2);
  assert.equal(usage.endedThreads, 1);
  assert.equal(usage.rssMib, 2);
  assert.equal(usage.anonMib, 1);
});

Deno.test("addEndedThreads() counts a thread that ended up to its last observation", () => {
  const start = sample(0, 0, { "1/1": [10, 5e6], "1/2": [50, 1e6] });
  const seen = sample(1000, 0, { "1/1": [12, 6e6], "1/2": [58, 3e6] });
  const end = sample(2000, 0, { "1/1": [14, 9e6] });
  assert.equal(addEndedThreads(end, seen), 1);
  const usage = usageBetween(start, end);
  assert.equal(usage.cpuMs, 6); // (9-5) + (3-1) ms
  assert.equal(usage.wakeupsPerS, 6); // (4 + 8) switches in 2 s
});

Deno.test("median() takes the middle value, or the mean of the middle two", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
