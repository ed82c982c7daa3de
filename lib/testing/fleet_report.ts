/**
 * The fleet benchmark's results and their table: the daemon polling N
 * UPSes beside the same daemon polling one, measured the same way, with the
 * ratios and each UPS's poll start jitter. Test support only.
 *
 * @module
 */
import type { TimingSummary } from "../power/timing.ts";
import { median, table } from "./bench_report.ts";
import type { TreeUsage } from "./proc_stats.ts";

/** Settings of one fleet benchmark run. */
export interface FleetOptions {
  /** UPSes of the large subject. */
  upses: number;
  /** Length of each measured window, s. */
  windowS: number;
  /** Wait between the start and the window, s. */
  settleS: number;
  /** A compiled ups-monitor; else `deno run` with the baked flags. */
  binary?: string;
}

/** What one daemon (one subject) measured. */
export interface FleetResult {
  /** UPSes it polled. */
  upses: number;
  /** Its usage over the window. */
  usage: TreeUsage;
  /** Spawn until every UPS's state file held a reading, ms. */
  allPolledMs: number;
  /** Per UPS, its timings read right after the window. */
  timings: TimingSummary[];
}

/** Everything the table shows. */
export interface FleetReport {
  /** The settings. */
  options: FleetOptions;
  /** How ups-monitor was run. */
  command: string;
  /** Load averages before and after, as text. */
  load: string;
  /** The daemon polling one UPS. */
  one: FleetResult;
  /** The daemon polling `options.upses` UPSes. */
  many: FleetResult;
}

/** A subject's jitter and poll figures across its UPSes, ms. */
export interface JitterFigures {
  /** Median over the UPSes of each UPS's median jitter. */
  median: number;
  /** The largest median jitter of any UPS. */
  worstMedian: number;
  /** The largest single jitter of any UPS. */
  max: number;
  /** Median over the UPSes of each UPS's median poll time on the wire. */
  pollMedian: number;
  /** The fewest polls a UPS's figures cover. */
  fewestPolls: number;
}

/**
 * Sums up the jitter of several UPSes.
 *
 * @param timings Per UPS, its timings, each with `jitter_ms`.
 * @returns The figures; NaN for none.
 */
export function jitterFigures(
  timings: readonly TimingSummary[],
): JitterFigures {
  const medians = timings.map((t) => t.jitter_ms?.median ?? NaN);
  return {
    median: median(medians),
    worstMedian: Math.max(...medians),
    max: Math.max(...timings.map((t) => t.jitter_ms?.max ?? NaN)),
    pollMedian: median(timings.map((t) => t.poll_ms.median)),
    fewestPolls: Math.min(...timings.map((t) => t.polls)),
  };
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(1)}×` : "–";
}

function processRows(report: FleetReport): string[][] {
  const { one, many, options } = report;
  const cpuMsPerPoll = (r: FleetResult) =>
    r.usage.cpuMs / r.usage.seconds / r.upses;
  const row = (name: string, r: FleetResult) => [
    name,
    r.usage.cpuPercent.toFixed(3),
    (r.usage.statCpuMs / 10 / r.usage.seconds).toFixed(2),
    cpuMsPerPoll(r).toFixed(3),
    r.usage.wakeupsPerS.toFixed(1),
    `${r.usage.rssMib.toFixed(1)} (${r.usage.hwmMib.toFixed(1)})`,
    String(r.usage.threads),
    r.allPolledMs.toFixed(0),
  ];
  return [
    [
      "",
      "CPU % of a core",
      "(stat)",
      "CPU ms/poll",
      "wake-ups/s",
      "RSS MiB (peak)",
      "threads",
      "start to all polled, ms",
    ],
    row("1 UPS", one),
    row(`${options.upses} UPSes`, many),
    [
      `${options.upses} UPSes / 1 UPS`,
      ratio(many.usage.cpuPercent, one.usage.cpuPercent),
      ratio(many.usage.statCpuMs, one.usage.statCpuMs),
      ratio(cpuMsPerPoll(many), cpuMsPerPoll(one)),
      ratio(many.usage.wakeupsPerS, one.usage.wakeupsPerS),
      ratio(many.usage.rssMib, one.usage.rssMib),
      "",
      ratio(many.allPolledMs, one.allPolledMs),
    ],
  ];
}

function jitterRows(report: FleetReport): string[][] {
  const { one, many, options } = report;
  const [a, b] = [jitterFigures(one.timings), jitterFigures(many.timings)];
  const row = (name: string, f: JitterFigures) => [
    name,
    f.median.toFixed(3),
    f.worstMedian.toFixed(3),
    f.max.toFixed(3),
    f.pollMedian.toFixed(3),
    String(f.fewestPolls),
  ];
  return [
    [
      "poll start jitter, ms",
      "median",
      "worst UPS median",
      "max",
      "poll on the wire, median",
      "polls covered",
    ],
    row("1 UPS", a),
    row(`${options.upses} UPSes`, b),
    [
      `${options.upses} UPSes − 1 UPS`,
      (b.median - a.median).toFixed(3),
      (b.worstMedian - a.worstMedian).toFixed(3),
      (b.max - a.max).toFixed(3),
      (b.pollMedian - a.pollMedian).toFixed(3),
      "",
    ],
  ];
}

/**
 * The report as text: a header, the process table, the jitter table and
 * how each figure was taken.
 *
 * @param report What was measured.
 * @returns Lines ending in a newline.
 */
export function formatFleetReport(report: FleetReport): string {
  const { options, one, many } = report;
  const oneMax = jitterFigures(one.timings).max;
  const oneMedian = jitterFigures(one.timings).median;
  const overMax = many.timings.filter((t) => (t.jitter_ms?.max ?? 0) > oneMax);
  const overMedian = many.timings.filter((t) =>
    (t.jitter_ms?.median ?? 0) > oneMedian
  );
  return [
    `ups-monitor fleet benchmark: one daemon polling ${options.upses} UPSes of one upsd, beside the same daemon polling 1; each UPS every 1 s; one window of ${options.windowS} s each, after ${options.settleS} s settling`,
    "UPSes: the default 13-variable dummy UPS, one dummy-ups driver each (all running during both windows)",
    `ups-monitor: ${report.command}`,
    `Load average (1/5/15 min): ${report.load}; ${navigator.hardwareConcurrency} cores. A shared machine makes every figure noisy.`,
    "",
    table(processRows(report)),
    table(jitterRows(report)),
    `UPSes of ${options.upses} whose max jitter exceeds the 1-UPS max (${
      oneMax.toFixed(3)
    } ms): ${overMax.length}; whose median exceeds the 1-UPS median (${
      oneMedian.toFixed(3)
    } ms): ${overMedian.length}.`,
    "",
    "How: CPU = Δ on-CPU ns summed over /proc/PID/task/*/schedstat of the daemon (threads read every second); (stat) = Δ(utime+stime) of /proc/PID/stat, 10 ms ticks;",
    "CPU ms/poll = CPU ms per second per UPS; wake-ups = Δ(voluntary+nonvoluntary ctxt switches) over its threads; RSS = VmRSS at the window's end, peak = VmHWM.",
    "Start = spawn until every UPS's state file holds a reading. Jitter = start of a poll − start of the previous − check_interval (1 s), from each UPS's",
    'state file ("timing.jitter_ms": median and max over its last 60 polls, so the last 60 s of a longer window), read right after the window: a changed',
    "load served to every UPS makes the daemon rewrite the files (on line power only a change does, else once a minute). Median/max across UPSes.",
    "",
  ].join("\n");
}
