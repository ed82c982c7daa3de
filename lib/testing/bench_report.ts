/**
 * The system benchmark's results and their table: medians (min–max) over
 * the windows, ratios of ups-monitor to upsmon, and issue 19's targets; and
 * what every system benchmark's entry shares (`runBench`, `positiveOption`).
 * Test support only.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { OneShot, UpscLoop } from "./bench_subjects.ts";
import type { TreeUsage } from "./proc_stats.ts";

/** Settings of one benchmark run. */
export interface BenchOptions {
  /** Length of each measured window, s. */
  windowS: number;
  /** Measured windows. */
  repeats: number;
  /** Wait between the starts and the window, s. */
  settleS: number;
  /** Runs of each one-shot command. */
  runs: number;
  /** A compiled ups-monitor; else `deno run` with the baked flags. */
  binary?: string;
}

/** What one window measured. */
export interface WindowResult {
  /** ups-monitor's usage over the window. */
  monitor: TreeUsage;
  /** ups-monitor's spawn to first successful poll, ms. */
  monitorStartMs: number;
  /** ups-monitor's spawn to `nut.connected`, ms. */
  monitorConnectedMs: number | null;
  /** upsmon's usage (parent and child) over the window. */
  upsmon: TreeUsage;
  /** upsmon's spawn to first status, ms (a separate `-DD` run). */
  upsmonStartMs: number;
  /** The upsc loop of the window. */
  upsc: UpscLoop;
}

/** Runs of each one-shot command, by name. */
export type OneShots = Record<string, OneShot[]>;

/** Everything the table shows. */
export interface BenchReport {
  /** The settings. */
  options: BenchOptions;
  /** Which UPS upsd served. */
  ups: string;
  /** How ups-monitor was run. */
  command: string;
  /** Load averages before and after, as text. */
  load: string;
  /** One result per window. */
  windows: WindowResult[];
  /** The one-shot runs. */
  oneShots: OneShots;
  /** Spawn to first poll of further daemon starts besides the windows', ms. */
  starts: number[];
  /**
   * Spawn to first poll of the warm-up start before everything else, ms: it
   * writes Deno's code cache when the program changed, so it is not counted.
   */
  warmUpStartMs: number;
}

/** Every start of the daemon the report has: the windows' and the others. */
function monitorStarts(report: BenchReport): number[] {
  return [...report.windows.map((w) => w.monitorStartMs), ...report.starts];
}

/**
 * The median of some numbers (mean of the middle two for an even count).
 *
 * @param values At least one number.
 * @returns The median; NaN for none.
 */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "median (min–max)", or the median alone for one value. */
function spread(values: readonly number[], digits: number): string {
  const m = median(values).toFixed(digits);
  if (values.length < 2) return m;
  const min = Math.min(...values).toFixed(digits);
  const max = Math.max(...values).toFixed(digits);
  return `${m} (${min}–${max})`;
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(1)}×` : "–";
}

/**
 * Rows as left-aligned columns two spaces apart.
 *
 * @param rows Cells by row; the first row sets the column count.
 * @returns Lines ending in a newline.
 */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) =>
    Math.max(...rows.map((r) => (r[i] ?? "").length))
  );
  return rows.map((r) =>
    r.map((cell, i) => cell.padEnd(widths[i]! + 2)).join("").trimEnd()
  )
    .join("\n") + "\n";
}

/** Per-window figures of one process, in table order. */
function figures(usages: TreeUsage[], starts: number[]) {
  return {
    cpu: usages.map((u) => u.cpuPercent),
    statCpu: usages.map((u) => u.statCpuMs / 10 / u.seconds),
    cpuMsPerS: usages.map((u) => u.cpuMs / u.seconds),
    wakeups: usages.map((u) => u.wakeupsPerS),
    rss: usages.map((u) => u.rssMib),
    hwm: usages.map((u) => u.hwmMib),
    anon: usages.map((u) => u.anonMib),
    start: starts,
  };
}

function processTable(report: BenchReport): string {
  const { windows, oneShots } = report;
  const monitor = figures(
    windows.map((w) => w.monitor),
    monitorStarts(report),
  );
  const upsmon = figures(
    windows.map((w) => w.upsmon),
    windows.map((w) => w.upsmonStartMs),
  );
  const upscShots = oneShots["upsc"] ?? [];
  const loopCpu = windows.map((w) =>
    w.upsc.cpuMs / 10 / report.options.windowS
  );
  const callsPerS = median(
    windows.map((w) => w.upsc.calls / report.options.windowS),
  );
  const row = (name: string, f: ReturnType<typeof figures>) => [
    name,
    spread(f.cpu, 3),
    spread(f.statCpu, 2),
    spread(f.cpuMsPerS, 2),
    spread(f.wakeups, 1),
    `${median(f.rss).toFixed(1)} (${Math.max(...f.hwm).toFixed(1)}) ${
      median(f.anon).toFixed(1)
    }`,
    spread(f.start, 1),
  ];
  const m = (values: number[]) => median(values);
  return table([
    [
      "",
      "CPU % of a core",
      "(stat)",
      "CPU ms/poll",
      "wake-ups/s",
      "RSS MiB (peak) anon",
      "start to 1st poll, ms",
    ],
    row("ups-monitor", monitor),
    row("upsmon", upsmon),
    [
      "upsc loop (1/s)",
      "",
      spread(loopCpu, 2),
      spread(windows.map((w) => w.upsc.cpuMs / w.upsc.calls), 2),
      `${(m(upscShots.map((s) => s.switches)) * callsPerS).toFixed(1)} *`,
      `${m(upscShots.map((s) => s.maxRssMib)).toFixed(1)} *`,
      `${spread(windows.map((w) => m(w.upsc.wallMs)), 1)} wall/call`,
    ],
    [
      "ups-monitor/upsmon",
      ratio(m(monitor.cpu), m(upsmon.cpu)),
      "",
      ratio(m(monitor.cpuMsPerS), m(upsmon.cpuMsPerS)),
      ratio(m(monitor.wakeups), m(upsmon.wakeups)),
      ratio(m(monitor.rss), m(upsmon.rss)),
      ratio(m(monitor.start), m(upsmon.start)),
    ],
  ]);
}

function oneShotTable(oneShots: OneShots): string {
  const rows = [["one-shot", "wall ms", "CPU ms", "max RSS MiB"]];
  for (const [name, shots] of Object.entries(oneShots)) {
    rows.push([
      name,
      spread(shots.map((s) => s.wallMs), 1),
      spread(shots.map((s) => s.cpuMs), 0),
      spread(shots.map((s) => s.maxRssMib), 1),
    ]);
  }
  return table(rows);
}

function targets(report: BenchReport): string {
  const { windows, oneShots } = report;
  const wall = (name: string) =>
    median((oneShots[name] ?? []).map((s) => s.wallMs));
  const checks: [string, number, number, string][] = [
    [
      "CPU at a 1 s poll, % of a core",
      median(windows.map((w) => w.monitor.cpuPercent)),
      0.12,
      "%",
    ],
    [
      "wake-ups per second",
      median(windows.map((w) => w.monitor.wakeupsPerS)),
      5,
      "/s",
    ],
    [
      "start to first poll",
      median(monitorStarts(report)),
      60,
      " ms",
    ],
    ["one-shot status, wall", wall("ups-monitor status"), 70, " ms"],
    ["one-shot version, wall", wall("ups-monitor version"), 70, " ms"],
    ["one-shot schema, wall", wall("ups-monitor schema"), 70, " ms"],
    [
      "RSS steady (MB read as MiB)",
      median(windows.map((w) => w.monitor.rssMib)),
      55,
      " MiB",
    ],
  ];
  const rows = [["target (issue 19)", "limit", "measured", ""]];
  for (const [name, value, limit, unit] of checks) {
    const digits = unit === "%" ? 3 : 1;
    rows.push([
      name,
      `≤ ${limit}${unit}`,
      `${value.toFixed(digits)}${unit}`,
      value <= limit ? "met" : "missed",
    ]);
  }
  return table(rows);
}

/**
 * The report as text: a header, the process table, the one-shot table,
 * the targets and how each figure was taken.
 *
 * @param report What was measured.
 * @returns Lines ending in a newline.
 */
export function formatReport(report: BenchReport): string {
  const { options, windows } = report;
  const connected = windows.map((w) => w.monitorConnectedMs).filter((v) =>
    v !== null
  );
  const upscCalls = windows.reduce((sum, w) => sum + w.upsc.calls, 0);
  const ended = windows.reduce((sum, w) => sum + w.monitor.endedThreads, 0);
  return [
    `ups-monitor system benchmark: ${options.repeats} window(s) of ${options.windowS} s after ${options.settleS} s settling; poll every 1 s; one-shots ${options.runs} run(s) each`,
    `UPS: ${report.ups}`,
    `ups-monitor: ${report.command}`,
    `Load average (1/5/15 min): ${report.load}; ${navigator.hardwareConcurrency} cores. A shared machine makes every figure noisy.`,
    "",
    processTable(report),
    oneShotTable(report.oneShots),
    targets(report),
    "How: CPU = Δ on-CPU ns summed over /proc/PID/task/*/schedstat of the process tree; (stat) = Δ(utime+stime+cutime+cstime)",
    `of /proc/PID/stat (10 ms ticks, counts exited threads too); threads are read every second, so the ${ended} thread(s) of ups-monitor that ended count up to then;`,
    "wake-ups = Δ(voluntary+nonvoluntary ctxt switches) summed over /proc/PID/task/*/status of the tree;",
    "RSS = Σ VmRSS of /proc/PID/status at the window's end, peak = VmHWM, anon = RssAnon (private: heaps and stacks; the rest is the",
    "mapped executable and libraries, clean pages of the page cache). upsmon = privileged parent + child.",
    `ups-monitor start = spawn until the state file first holds a reading (it logs no event at its first poll), each window's and ${report.starts.length} more starts, after a warm-up start that is not counted (${
      report.warmUpStartMs.toFixed(1)
    } ms: the first start after a change writes Deno's code cache and keeps the compiler's memory); nut.connected after ${
      connected.length ? median(connected).toFixed(1) : "–"
    } ms; ${median(windows.map((w) => w.monitor.threads))} threads.`,
    'upsmon start = spawn until its first "parse_status" line under -DD (a separate run; the window runs without -DD).',
    `upsc loop: ${upscCalls} calls; CPU = Δ(cutime+cstime) of /proc/self/stat (reaped children); * = per-call figures of the one-shot upsc runs.`,
    "One-shots: wall measured around /usr/bin/time -v; CPU = its user+system (10 ms steps); max RSS from it.",
    "",
  ].join("\n");
}

/**
 * A benchmark flag that must be a positive number.
 *
 * @param text The flag's value as given; undefined when absent.
 * @param fallback The value when absent.
 * @param name The flag, for the message, e.g. `--window`.
 * @returns The number.
 * @throws {RangeError} When the value is not a positive number.
 */
export function positiveOption(
  text: string | undefined,
  fallback: number,
  name: string,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) {
    throw new RangeError(
      `Cannot use ${name} "${text}": it must be a positive number`,
    );
  }
  return value;
}

/**
 * Runs a benchmark's `main` as a program: its number is the exit code, an
 * error is one line on stderr and exit 1.
 *
 * @param main The benchmark, given the command line.
 */
export async function runBench(
  main: (args: string[]) => Promise<number>,
): Promise<void> {
  try {
    Deno.exitCode = await main(Deno.args);
  } catch (error) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`${errorMessage(error)}\n`),
    );
    Deno.exitCode = 1;
  }
}
