/**
 * The system benchmark of issue 19 ("Idle like upsmon"): a real upsd with a
 * 46-variable dummy UPS, and for the same windows, side by side, the daemon
 * (`deno run` with the baked flags, or `--binary PATH`), NUT's `upsmon` as a
 * secondary and a loop of `upsc` every second. Prints CPU, wake-ups
 * (context switches), RSS and start-to-first-poll per process, and one-shot
 * times, each the median of repeated windows or runs, with ratios and the
 * targets. Asserts no timing: it fails only when something cannot be
 * started or measured.
 *
 * `deno task bench` runs it after `deno bench`; alone:
 * `deno run -P=test --no-prompt lib/system_bench.ts [--short] [--window S]
 * [--repeats N] [--settle S] [--runs N] [--binary PATH]`
 * (or UPS_BENCH_WINDOW_S, UPS_BENCH_REPEATS, UPS_BENCH_BINARY).
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type BenchOptions,
  formatReport,
  type OneShots,
  positiveOption,
  runBench,
  type WindowResult,
} from "./testing/bench_report.ts";
import {
  monitorCommand,
  runOneShot,
  runUpscLoop,
  startMonitor,
  writeMonitorConfig,
} from "./testing/bench_subjects.ts";
import {
  spawnUpsmon,
  timeUpsmonStart,
  writeUpsmonConfig,
} from "./testing/bench_upsmon.ts";
import { dumpToDev, NUT_DDL_DIR, NUT_DDL_PRESENT } from "./testing/nut_ddl.ts";
import type { JsonProcess } from "./testing/json_process.ts";
import { loadAverage, TreeMeter } from "./testing/proc_stats.ts";
import { makeRunDir, makeTempDir } from "./testing/temp_dir.ts";
import { pause } from "./testing/scripted_server.ts";
import { DEFAULT_DEV, startUpsd, type Upsd } from "./testing/upsd.ts";

/** A 46-variable UPS of the NUT device dump library (read in place, never copied). */
const DUMP =
  "MGE_UPS_SYSTEMS/MGE_UPS_SYSTEMS__Evolution_850__usbhid-ups__2.2.0__01.dev";

function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      short: { type: "boolean", default: false },
      window: { type: "string" },
      repeats: { type: "string" },
      settle: { type: "string" },
      runs: { type: "string" },
      binary: { type: "string" },
    },
  });
  const env = (name: string) => Deno.env.get(name);
  const short = values.short;
  const binary = values.binary ?? env("UPS_BENCH_BINARY");
  return {
    windowS: positiveOption(
      values.window ?? env("UPS_BENCH_WINDOW_S"),
      short ? 5 : 60,
      "--window",
    ),
    repeats: positiveOption(
      values.repeats ?? env("UPS_BENCH_REPEATS"),
      short ? 1 : 3,
      "--repeats",
    ),
    settleS: positiveOption(values.settle, short ? 1 : 5, "--settle"),
    runs: positiveOption(values.runs, short ? 1 : 5, "--runs"),
    ...(binary ? { binary } : {}),
  };
}

/** The UPS to serve: the dump when the library is there, else the small default. */
async function upsDev(): Promise<{ dev: string; label: string }> {
  if (!NUT_DDL_PRESENT) {
    return {
      dev: DEFAULT_DEV,
      label: `the default 13-variable UPS (no nut-ddl at "${NUT_DDL_DIR}")`,
    };
  }
  const { dev, names } = dumpToDev(await Deno.readTextFile(NUT_DDL_DIR + DUMP));
  return { dev, label: `${DUMP} (${names.length} variables)` };
}

/** Stops the daemon with SIGTERM; anything but a clean exit voids the figures. */
async function stopCleanly(daemon: JsonProcess): Promise<void> {
  const code = await daemon.stop("SIGTERM");
  if (code !== 0) {
    throw new Error(
      `Cannot measure ups-monitor: it exited with code ${code} on SIGTERM`,
    );
  }
}

/** One window: start both daemons, settle, measure while the upsc loop runs. */
async function measureWindow(
  upsd: Upsd,
  paths: { config: string; upsmonDir: string },
  options: BenchOptions,
): Promise<WindowResult> {
  const upsmonStartMs = await timeUpsmonStart(paths.upsmonDir);
  const started = await startMonitor(paths.config, options.binary);
  const monitor = started.process;
  try {
    await using upsmon = spawnUpsmon(paths.upsmonDir, false);
    await pause(options.settleS * 1000);
    const meters = [new TreeMeter(monitor.pid), new TreeMeter(upsmon.pid)];
    const upsc = await runUpscLoop(upsd.target(), options.windowS, () => {
      for (const meter of meters) meter.observe();
    });
    const [monitorUsage, upsmonUsage] = meters.map((meter) => meter.finish());
    if (upsc.failed > 0) {
      throw new Error(
        `Cannot measure upsc: ${upsc.failed} of ${upsc.calls} calls failed`,
      );
    }
    await stopCleanly(monitor);
    return {
      monitor: monitorUsage!,
      monitorStartMs: started.startMs,
      monitorConnectedMs: started.connectedMs,
      upsmon: upsmonUsage!,
      upsmonStartMs,
      upsc,
    };
  } finally {
    await monitor.stop("SIGKILL");
  }
}

/**
 * Starts the daemon `runs` more times, each until its first poll and then
 * stopped: a start varies by tens of milliseconds, more than one per window
 * can settle.
 */
async function measureStarts(
  config: string,
  options: BenchOptions,
): Promise<number[]> {
  const starts: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const started = await startMonitor(config, options.binary);
    await stopCleanly(started.process);
    starts.push(started.startMs);
  }
  return starts;
}

/** Each one-shot command `runs` times under `/usr/bin/time -v`. */
async function measureOneShots(
  upsd: Upsd,
  config: string,
  options: BenchOptions,
): Promise<OneShots> {
  await using scratch = await makeTempDir({ prefix: "ups-monitor-bench-" });
  const monitor = (args: string[]) =>
    monitorCommand(args, options.binary).flat();
  const commands: Record<string, string[]> = {
    "ups-monitor status": monitor(["status", "--config", config]),
    "ups-monitor version": monitor(["version"]),
    "ups-monitor schema": monitor(["schema"]),
    "upsc": ["/usr/bin/upsc", upsd.target()],
  };
  const results: OneShots = {};
  for (const [name, argv] of Object.entries(commands)) {
    results[name] = [];
    for (let run = 0; run < options.runs; run++) {
      const shot = await runOneShot(argv, scratch.join("time.txt"));
      if (shot.code !== 0) {
        throw new Error(
          `Cannot measure "${name}": it exited with code ${shot.code}`,
        );
      }
      results[name].push(shot);
    }
  }
  return results;
}

/**
 * Runs the benchmark and prints its table on stdout.
 *
 * @param args Command-line flags.
 * @returns The exit code: 0, or 1 when something could not be measured.
 */
export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const { dev, label } = await upsDev();
  const loadBefore = loadAverage();
  await using upsd = await startUpsd({ upses: { ups: dev } });
  await using runDir = await makeRunDir();
  await using upsmonDir = await makeTempDir({ prefix: "ups-monitor-upsmon-" });
  const config = await writeMonitorConfig(runDir.path, upsd);
  await writeUpsmonConfig(upsmonDir.path, upsd);
  // The first start after a change writes Deno's code cache: slower, and its
  // process keeps the compiler's memory. Every later start is the steady one.
  const warmUp = await startMonitor(config, options.binary);
  await stopCleanly(warmUp.process);
  const windows: WindowResult[] = [];
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    windows.push(
      await measureWindow(upsd, { config, upsmonDir: upsmonDir.path }, options),
    );
  }
  const starts = await measureStarts(config, options);
  const oneShots = await measureOneShots(upsd, config, options);
  const command = monitorCommand(["run"], options.binary).flat().join(" ");
  const text = formatReport({
    options,
    ups: label,
    command,
    load: `${loadBefore} before, ${loadAverage()} after`,
    windows,
    oneShots,
    starts,
    warmUpStartMs: warmUp.startMs,
  });
  Deno.stdout.writeSync(new TextEncoder().encode(text));
  return 0;
}

if (import.meta.main) await runBench(main);
