/**
 * What the system benchmark (`lib/system_bench.ts`) runs against one upsd
 * besides upsmon (`bench_upsmon.ts`): ups-monitor's daemon, timed to its
 * first successful poll, a loop of `upsc`, and one-shot commands under
 * `/usr/bin/time -v`. Test support only.
 *
 * @module
 */
import { bundleRunArgs, denoRunArgs } from "../flags.ts";
import { type JsonProcess, spawnJsonProcess } from "./json_process.ts";
import { reapedChildrenCpuMs } from "./proc_stats.ts";
import { type Upsd, USERS } from "./upsd.ts";

const UPSC = "/usr/bin/upsc";
const TIME = "/usr/bin/time";
const START_TIMEOUT_MS = 20_000;

/**
 * How ups-monitor is started: `deno run` with the baked flags of `main.ts`
 * or, when `binary` is a `.js` file, of that bundle (`deno task bundle`);
 * otherwise `binary` is a compiled binary.
 */
export function monitorCommand(
  args: readonly string[],
  binary?: string,
): [string, string[]] {
  if (binary === undefined) return [Deno.execPath(), denoRunArgs(args)];
  if (binary.endsWith(".js")) {
    return [Deno.execPath(), bundleRunArgs(args, binary)];
  }
  return [binary, [...args]];
}

/**
 * The part of a benchmark config after `ups`: a dry run with every shutdown
 * step off, runtime files in `dir`, no log file.
 *
 * @param dir The runtime files' directory.
 * @returns YAML text.
 */
export function quietConfigTail(dir: string): string {
  return `shutdown:
  dry_run: true
  vms: {enabled: false}
  containers: {enabled: false}
  sync: {enabled: false}
  filesystems: {enabled: false}
  local: {enabled: false}
paths: {state: ${dir}/state, flag: ${dir}/flag, history: ${dir}/history, durations: ${dir}/durations, pid: ${dir}/pid}
logging: {file: null}
`;
}

/**
 * Writes the daemon's config: a 1 s poll of the upsd as the `mon` user,
 * dry run, every shutdown step off, runtime files in `dir`.
 *
 * @param dir A directory the daemon's permission set reaches (under /run).
 * @param upsd The server.
 * @returns The config's path.
 */
export async function writeMonitorConfig(
  dir: string,
  upsd: Upsd,
): Promise<string> {
  const { ups, host, port } = upsd.address();
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    path,
    `ups:
  name: "${ups}@${host}:${port}"
  username: ${USERS.mon.name}
  password: ${USERS.mon.password}
  tls: off
  check_interval: 1s
${quietConfigTail(dir)}`,
  );
  return path;
}

/** A started subject and how long it took to its first successful poll. */
export interface Started<T> {
  /** The running process. */
  process: T;
  /** Spawn to first successful poll, ms. */
  startMs: number;
  /** Spawn to the `nut.connected` event, ms; null for a subject without it. */
  connectedMs: number | null;
}

/** Whether the state snapshot at `path` holds a reading (`status` set). */
async function hasReading(path: string): Promise<boolean> {
  try {
    const status = JSON.parse(await Deno.readTextFile(path)).status;
    return typeof status === "string";
  } catch {
    return false; // not written yet, or caught between write and rename
  }
}

/**
 * Waits until the state snapshot first holds a reading: the daemon logs
 * nothing at its first good poll, but the first poll always writes the
 * snapshot. Watches the directory (inotify), with a 50 ms check besides.
 */
async function firstReading(path: string, exited: Promise<number>) {
  const dir = path.slice(0, path.lastIndexOf("/"));
  using watcher = Deno.watchFs(dir, { recursive: false });
  let done = false;
  // Cleared when the race is decided: a pending check must not outlive it.
  let checkTimer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    while (!done) {
      await new Promise((resolve) => checkTimer = setTimeout(resolve, 50));
      if (await hasReading(path)) return performance.now();
    }
    return NaN;
  };
  const watch = async () => {
    for await (const _event of watcher) {
      if (await hasReading(path)) return performance.now();
    }
    return NaN;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(NaN), START_TIMEOUT_MS);
  });
  try {
    return await Promise.race([watch(), tick(), limit, exited.then(() => NaN)]);
  } finally {
    done = true;
    clearTimeout(timer);
    clearTimeout(checkTimer);
  }
}

/**
 * Starts the daemon with JSON logs and times it to its first good poll.
 *
 * @param config The config's path (state file beside it).
 * @param binary A compiled binary; else `deno run` with the baked flags.
 * @returns The daemon and its start time.
 * @throws {Error} When no successful poll comes within 20 s.
 */
export async function startMonitor(
  config: string,
  binary?: string,
): Promise<Started<JsonProcess>> {
  const state = `${config.slice(0, config.lastIndexOf("/"))}/state`;
  await Deno.remove(state).catch(() => {/* absent: the usual case */});
  const [program, args] = monitorCommand(
    ["run", "--config", config, "--log-format", "json"],
    binary,
  );
  const spawnedAt = performance.now();
  const process = spawnJsonProcess(program, args);
  const polledAt = await firstReading(state, process.exited);
  if (Number.isNaN(polledAt)) {
    await process.stop();
    const seen = [...process.events.map((e) => `${e.event}: ${e.msg}`)];
    throw new Error(
      `Cannot measure ups-monitor: no successful poll within ${START_TIMEOUT_MS} ms; output:\n  ${
        [...seen, ...process.other].join("\n  ")
      }`,
    );
  }
  const connected = process.events.find((e) => e.event === "nut.connected");
  return {
    process,
    startMs: polledAt - spawnedAt,
    connectedMs: connected ? connected.at - spawnedAt : null,
  };
}

/** What a loop of `upsc` did. */
export interface UpscLoop {
  /** Calls made. */
  calls: number;
  /** Calls that failed. */
  failed: number;
  /** CPU of all calls, ms (from this process's reaped-children times). */
  cpuMs: number;
  /** Wall time of each call, ms. */
  wallMs: number[];
}

/**
 * Runs `upsc TARGET` at the start of every second for `seconds`, returning
 * once the window is over. Nothing else may exit and be reaped by this
 * process meanwhile: the CPU is the change of its children's times.
 *
 * @param target `ups@host:port`.
 * @param seconds Length of the window.
 * @param onSecond Called at the start of every second, before the call.
 * @returns The calls' cost.
 */
export async function runUpscLoop(
  target: string,
  seconds: number,
  onSecond: () => void = () => {},
): Promise<UpscLoop> {
  const loop: UpscLoop = { calls: 0, failed: 0, cpuMs: 0, wallMs: [] };
  const cpuBefore = reapedChildrenCpuMs();
  const start = performance.now();
  for (let k = 0; k < seconds; k++) {
    await sleepUntil(start + k * 1000);
    onSecond();
    const before = performance.now();
    const { success } = await new Deno.Command(UPSC, {
      args: [target],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    loop.wallMs.push(performance.now() - before);
    loop.calls++;
    if (!success) loop.failed++;
  }
  await sleepUntil(start + seconds * 1000);
  loop.cpuMs = reapedChildrenCpuMs() - cpuBefore;
  return loop;
}

function sleepUntil(atMs: number): Promise<void> {
  const wait = Math.max(0, atMs - performance.now());
  return new Promise((resolve) => setTimeout(resolve, wait));
}

/** One run of a command under `/usr/bin/time -v`. */
export interface OneShot {
  /** Exit code of the command. */
  code: number;
  /** Wall time measured here around the spawn, ms. */
  wallMs: number;
  /** User + system time as time reports them (10 ms steps), ms. */
  cpuMs: number;
  /** Maximum resident set size, MiB. */
  maxRssMib: number;
  /** Voluntary + involuntary context switches. */
  switches: number;
}

/**
 * Runs a command once under `/usr/bin/time -v`, report to a file so the
 * command's own stderr stays apart.
 *
 * @param argv Program and arguments.
 * @param report A scratch file for time's report.
 * @returns Its cost.
 */
export async function runOneShot(
  argv: readonly string[],
  report: string,
): Promise<OneShot> {
  const started = performance.now();
  const { code } = await new Deno.Command(TIME, {
    args: ["-v", "-o", report, ...argv],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  const wallMs = performance.now() - started;
  const text = await Deno.readTextFile(report);
  const field = (name: string) => {
    const match = new RegExp(`${name}[^:]*: ([\\d.]+)`).exec(text);
    return match ? Number(match[1]) : NaN;
  };
  return {
    code,
    wallMs,
    cpuMs: (field("User time") + field("System time")) * 1000,
    maxRssMib: field("Maximum resident set size") / 1024,
    switches: field("Voluntary context switches") +
      field("Involuntary context switches"),
  };
}
