/**
 * The fleet benchmark of issue 17: one upsd serving N (default 64) dummy
 * UPSes, one daemon polling all of them at 1 s, beside the same daemon
 * polling one of them, measured the same way in the same run: CPU % of a
 * core, wake-ups/s and RSS of the daemon over a window, start until every
 * UPS was polled, and from each UPS's state file its poll start jitter.
 * Asserts no timing: it fails only when something cannot be started or
 * measured.
 *
 * `deno task bench` runs it after the system benchmark; alone:
 * `deno run -P=bench --no-prompt lib/fleet_system_bench.ts [--short]
 * [--upses N] [--window S] [--settle S] [--binary PATH]`
 * (or UPS_BENCH_BINARY).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { MAX_UPSES } from "./config/schema_ups.ts";
import { monitorCommand } from "./testing/bench_subjects.ts";
import {
  type FleetConfig,
  freshTimings,
  measureTree,
  serveLoad,
  startFleet,
  writeFleetConfig,
} from "./testing/fleet_bench.ts";
import {
  type FleetOptions,
  type FleetResult,
  formatFleetReport,
} from "./testing/fleet_report.ts";
import { positiveOption, runBench } from "./testing/bench_report.ts";
import { pause } from "./testing/scripted_server.ts";
import { loadAverage } from "./testing/proc_stats.ts";
import { makeRunDir } from "./testing/temp_dir.ts";
import { DEFAULT_DEV, startUpsd, type Upsd } from "./testing/upsd.ts";

/** The load DEFAULT_DEV serves, %; each subject's read-out serves one more. */
const BASE_LOAD = 23;

function parseOptions(args: string[]): FleetOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      short: { type: "boolean", default: false },
      upses: { type: "string" },
      window: { type: "string" },
      settle: { type: "string" },
      binary: { type: "string" },
    },
  });
  const upses = positiveOption(values.upses, 64, "--upses");
  if (!Number.isInteger(upses) || upses < 2 || upses > MAX_UPSES) {
    throw new RangeError(
      `Cannot use --upses "${values.upses}": it must be a whole number from 2 to ${MAX_UPSES}`,
    );
  }
  const short = values.short;
  const binary = values.binary ?? Deno.env.get("UPS_BENCH_BINARY");
  return {
    upses,
    windowS: positiveOption(values.window, short ? 5 : 120, "--window"),
    settleS: positiveOption(values.settle, short ? 2 : 5, "--settle"),
    ...(binary ? { binary } : {}),
  };
}

/** Starts a daemon on `fleet`, settles, measures a window, reads the jitter. */
async function measureSubject(
  upsd: Upsd,
  fleet: FleetConfig & { upses: string[]; load: number },
  options: FleetOptions,
): Promise<FleetResult> {
  const started = await startFleet(fleet, options.binary);
  const daemon = started.process;
  let exited = false;
  daemon.exited.then(() => exited = true);
  try {
    await pause(options.settleS * 1000);
    const usage = await measureTree(daemon.pid, options.windowS);
    await serveLoad(upsd, { upses: fleet.upses, load: fleet.load });
    const timings = await freshTimings(fleet, {
      load: fleet.load,
      exited: () => exited,
    });
    const code = await daemon.stop("SIGTERM");
    if (code !== 0) {
      throw new Error(
        `Cannot measure ups-monitor: it exited with code ${code} on SIGTERM`,
      );
    }
    return {
      upses: fleet.upses.length,
      usage,
      allPolledMs: started.allPolledMs,
      timings,
    };
  } finally {
    await daemon.stop("SIGKILL");
  }
}

/**
 * Runs the benchmark and prints its table on stdout.
 *
 * @param args Command-line flags.
 * @returns The exit code: 0, or 1 when something could not be measured.
 */
export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const names = Array.from({ length: options.upses }, (_, i) => `u${i}`);
  const loadBefore = loadAverage();
  await using upsd = await startUpsd({
    upses: Object.fromEntries(names.map((name) => [name, DEFAULT_DEV])),
    startTimeoutMs: 120_000,
  });
  await using runDir = await makeRunDir();
  const subject = async (upses: string[], load: number) => {
    const dir = `${runDir.path}/${upses.length}`;
    await Deno.mkdir(dir);
    const fleet = await writeFleetConfig(dir, upsd, { upses });
    return await measureSubject(upsd, { ...fleet, upses, load }, options);
  };
  // The single UPS first, then all of them: each read-out serves a new load.
  const one = await subject(names.slice(0, 1), BASE_LOAD + 1);
  const many = await subject(names, BASE_LOAD + 2);
  const command = monitorCommand(["run"], options.binary).flat().join(" ");
  const text = formatFleetReport({
    options,
    command,
    load: `${loadBefore} before, ${loadAverage()} after`,
    one,
    many,
  });
  Deno.stdout.writeSync(new TextEncoder().encode(text));
  return 0;
}

if (import.meta.main) await runBench(main);
