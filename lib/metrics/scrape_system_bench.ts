/**
 * What a Prometheus scrape costs the daemon against what its poll loop
 * costs, measured on the real daemon (`deno run` with the baked flags, or
 * `--binary PATH`) against a real upsd, from the daemon's own CPU time
 * (`/proc/<pid>/task/<tid>/schedstat`): the CPU of an idle window divided
 * by the polls in it, and the CPU of a burst of back-to-back scrapes (less
 * the idle rate over the burst) divided by the scrapes. Prints both, and a
 * scrape every 15 s as a share of one core. Asserts no timing.
 *
 * `deno task bench` runs it last; alone:
 * `deno run -P=bench --no-prompt lib/metrics/scrape_system_bench.ts [--short]
 * [--window S] [--scrapes N] [--binary PATH]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startMonitor, writeMonitorConfig } from "../testing/bench_subjects.ts";
import type { JsonProcess } from "../testing/json_process.ts";
import { dumpToDev, NUT_DDL_DIR, NUT_DDL_PRESENT } from "../testing/nut_ddl.ts";
import { positiveOption, runBench } from "../testing/bench_report.ts";
import { pause } from "../testing/scripted_server.ts";
import { TreeMeter, type TreeUsage } from "../testing/proc_stats.ts";
import { makeRunDir } from "../testing/temp_dir.ts";
import { DEFAULT_DEV, startUpsd } from "../testing/upsd.ts";

/** The 46-variable UPS the system bench polls, when the dump library is there. */
const DUMP =
  "MGE_UPS_SYSTEMS/MGE_UPS_SYSTEMS__Evolution_850__usbhid-ups__2.2.0__01.dev";
const SCRAPE_INTERVAL_S = 15;
const WARMUP_SCRAPES = 100;

interface Options {
  windowS: number;
  scrapes: number;
  binary?: string;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      short: { type: "boolean", default: false },
      window: { type: "string" },
      scrapes: { type: "string" },
      binary: { type: "string" },
    },
  });
  return {
    windowS: positiveOption(values.window, values.short ? 10 : 30, "--window"),
    scrapes: positiveOption(
      values.scrapes,
      values.short ? 100 : 300,
      "--scrapes",
    ),
    ...(values.binary ? { binary: values.binary } : {}),
  };
}

async function scrape(url: string): Promise<number> {
  const response = await fetch(url);
  const body = await response.arrayBuffer();
  if (response.status !== 200) {
    throw new Error(`Cannot scrape "${url}": HTTP ${response.status}`);
  }
  return body.byteLength;
}

/** The daemon's poll count, read from its own histogram. */
async function pollCount(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split("\n").find((l) =>
    l.startsWith("ups_monitor_poll_duration_seconds_count")
  );
  return Number(line?.split(" ")[1] ?? NaN);
}

/** Measures `work` on the daemon's process tree, sampling threads each second. */
async function measure(
  pid: number,
  work: () => Promise<void>,
): Promise<TreeUsage> {
  const meter = new TreeMeter(pid);
  const timer = setInterval(() => meter.observe(), 1000);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return meter.finish();
}

async function burst(
  monitor: JsonProcess,
  url: string,
  count: number,
  idleMsPerS: number,
): Promise<{ cpuMs: number; bytes: number }> {
  let bytes = 0;
  const usage = await measure(monitor.pid, async () => {
    for (let i = 0; i < count; i++) bytes = await scrape(url);
  });
  const cpuMs = (usage.cpuMs - idleMsPerS * usage.seconds) / count;
  return { cpuMs: Math.max(0, cpuMs), bytes };
}

function row(name: string, cpuMs: number, everyS: number): string {
  const share = cpuMs / (everyS * 1000) * 100;
  return `${name.padEnd(34)}${cpuMs.toFixed(3).padStart(10)} ms${
    `every ${everyS} s`.padStart(14)
  }${share.toFixed(4).padStart(10)} %`;
}

/**
 * Runs the benchmark and prints its table on stdout.
 *
 * @param args Command-line flags.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const dev = NUT_DDL_PRESENT
    ? dumpToDev(await Deno.readTextFile(NUT_DDL_DIR + DUMP)).dev
    : DEFAULT_DEV;
  await using upsd = await startUpsd({ upses: { ups: dev } });
  await using runDir = await makeRunDir();
  const config = await writeMonitorConfig(runDir.path, upsd);
  await Deno.writeTextFile(config, 'http: {listen: "127.0.0.1:0"}\n', {
    append: true,
  });
  const { process: monitor } = await startMonitor(config, options.binary);
  try {
    const listening = await monitor.next((e) => e.event === "http.listening");
    if (listening === null) throw new Error("Cannot find the HTTP address");
    const base = `http://${listening["address"]}`;
    for (let i = 0; i < WARMUP_SCRAPES; i++) await scrape(`${base}/metrics`);
    await pause(2000);
    const pollsBefore = await pollCount(base);
    const idle = await measure(
      monitor.pid,
      () => pause(options.windowS * 1000),
    );
    const polls = await pollCount(base) - pollsBefore;
    const idleMsPerS = idle.cpuMs / idle.seconds;
    const pollMs = idle.cpuMs / polls;
    const metrics = await burst(
      monitor,
      `${base}/metrics`,
      options.scrapes,
      idleMsPerS,
    );
    const status = await burst(
      monitor,
      `${base}/status`,
      options.scrapes,
      idleMsPerS,
    );
    const lines = [
      `Daemon CPU per unit of work (${
        NUT_DDL_PRESENT ? "46" : "13"
      }-variable UPS, 1 s polls; idle window ${options.windowS} s, ${polls} polls; ${options.scrapes} scrapes each)`,
      `${"".padEnd(34)}${"CPU".padStart(13)}${"cadence".padStart(14)}${
        "of a core".padStart(12)
      }`,
      row("poll (the whole loop, per poll)", pollMs, 1),
      row(
        `GET /metrics (${metrics.bytes} bytes)`,
        metrics.cpuMs,
        SCRAPE_INTERVAL_S,
      ),
      row(
        `GET /status (${status.bytes} bytes)`,
        status.cpuMs,
        SCRAPE_INTERVAL_S,
      ),
      `A scrape of /metrics costs ${
        (metrics.cpuMs / pollMs).toFixed(1)
      } polls; at one scrape per ${SCRAPE_INTERVAL_S} s it adds ${
        (metrics.cpuMs / SCRAPE_INTERVAL_S / pollMs * 100).toFixed(1)
      } % to the poll loop's CPU.`,
    ];
    Deno.stdout.writeSync(new TextEncoder().encode(lines.join("\n") + "\n"));
  } finally {
    await monitor.stop("SIGTERM");
  }
  return 0;
}

if (import.meta.main) await runBench(main);
