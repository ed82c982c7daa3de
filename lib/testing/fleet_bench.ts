/**
 * What the fleet benchmark (`lib/fleet_system_bench.ts`) runs: one daemon
 * polling a list of UPSes of one upsd at 1 s, started and timed until every
 * UPS's state file holds a reading, measured over a window, then asked for
 * each UPS's poll timings (jitter included). Test support only.
 *
 * @module
 */
import { fileSuffix } from "../config/ups_view.ts";
import { timingOf, type TimingSummary } from "../power/timing.ts";
import { monitorCommand, quietConfigTail } from "./bench_subjects.ts";
import { type JsonProcess, spawnJsonProcess } from "./json_process.ts";
import { TreeMeter, type TreeUsage } from "./proc_stats.ts";
import { DEFAULT_DEV, type Upsd } from "./upsd.ts";
import { pause } from "./scripted_server.ts";

/** Bound of the start until every UPS was polled once, ms. */
const START_TIMEOUT_MS = 60_000;
/** Bound of the wait for every state file to show a changed reading, ms. */
const REFRESH_TIMEOUT_MS = 30_000;

/** A daemon's config and the state file of each of its UPSes. */
export interface FleetConfig {
  /** The config's path. */
  config: string;
  /** Per UPS, in config order, its state file. */
  states: string[];
}

/**
 * Writes a config listing `upses` of `upsd` (no credentials, tls off, a 1 s
 * poll), dry run, every shutdown step off, runtime files in `dir`.
 *
 * @param dir A directory the daemon's permission set reaches (under /run).
 * @param upsd The server's address.
 * @param options `upses`: the UPS names on the server, at least one.
 * @returns The config's path and the state file of each UPS.
 */
export async function writeFleetConfig(
  dir: string,
  upsd: { host: string; port: number },
  options: { upses: readonly string[] },
): Promise<FleetConfig> {
  const names = options.upses.map((ups) => `${ups}@${upsd.host}:${upsd.port}`);
  const list = names.map((name) =>
    `  - {name: "${name}", tls: off, check_interval: 1s}\n`
  ).join("");
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `ups:
${list}${quietConfigTail(dir)}`,
  );
  // One UPS keeps the plain paths; several get `<path>.<ups>` (ups_view.ts).
  const states = names.length === 1
    ? [`${dir}/state`]
    : names.map((name) => `${dir}/state.${fileSuffix(name)}`);
  return { config, states };
}

/** A parsed state file, or null while it is absent or half written. */
async function readState(
  path: string,
): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return null; // not written yet, or caught between write and rename
  }
}

/**
 * Waits until every state file satisfies `done`, checking every 50 ms.
 *
 * @returns Each file's content once it did, in order; null on time-out or
 *   when the daemon exits first.
 */
async function waitForStates(
  states: readonly string[],
  done: (state: Record<string, unknown>) => boolean,
  options: { timeoutMs: number; exited: () => boolean },
): Promise<Record<string, unknown>[] | null> {
  const found: (Record<string, unknown> | null)[] = states.map(() => null);
  const end = performance.now() + options.timeoutMs;
  while (performance.now() < end && !options.exited()) {
    for (const [i, path] of states.entries()) {
      if (found[i] !== null) continue;
      const state = await readState(path);
      if (state !== null && done(state)) found[i] = state;
    }
    if (found.every((state) => state !== null)) {
      return found as Record<string, unknown>[];
    }
    await pause(50);
  }
  return null;
}

/** A started daemon and how long it took until every UPS was polled. */
export interface StartedFleet {
  /** The running daemon. */
  process: JsonProcess;
  /** Spawn until every state file first holds a reading, ms. */
  allPolledMs: number;
}

/**
 * Starts the daemon with JSON logs and times it until every UPS's state
 * file holds a reading (the daemon logs nothing at a good poll).
 *
 * @param fleet The config and its state files (removed first).
 * @param binary A compiled binary; else `deno run` with the baked flags.
 * @returns The daemon and its start time.
 * @throws {Error} When some UPS is not polled within 60 s.
 */
export async function startFleet(
  fleet: FleetConfig,
  binary?: string,
): Promise<StartedFleet> {
  for (const state of fleet.states) {
    await Deno.remove(state).catch(() => {/* absent: the usual case */});
  }
  const [program, args] = monitorCommand(
    ["run", "--config", fleet.config, "--log-format", "json"],
    binary,
  );
  const spawnedAt = performance.now();
  const process = spawnJsonProcess(program, args);
  let exited = false;
  process.exited.then(() => exited = true);
  const read = await waitForStates(
    fleet.states,
    (state) => typeof state["status"] === "string",
    { timeoutMs: START_TIMEOUT_MS, exited: () => exited },
  );
  if (read === null) {
    await process.stop();
    const seen = process.events.map((e) => `${e.event}: ${e.msg}`);
    throw new Error(
      `Cannot measure ups-monitor: not every UPS was polled within ${START_TIMEOUT_MS} ms; output:\n  ${
        [...seen, ...process.other].join("\n  ")
      }`,
    );
  }
  return { process, allPolledMs: performance.now() - spawnedAt };
}

/**
 * Measures a process tree over a window, reading its threads every second.
 *
 * @param pid The root.
 * @param windowS The window, s.
 * @returns Its usage.
 */
export async function measureTree(
  pid: number,
  windowS: number,
): Promise<TreeUsage> {
  const meter = new TreeMeter(pid);
  const timer = setInterval(() => meter.observe(), 1000);
  try {
    await pause(windowS * 1000);
  } finally {
    clearInterval(timer);
  }
  return meter.finish();
}

/**
 * Serves `ups.load` = `load` on each UPS (the `.dev` file dummy-ups re-reads
 * when it changes), the rest as {@linkcode DEFAULT_DEV}.
 *
 * @param upsd The server.
 * @param options The UPSes and the load, %.
 */
export async function serveLoad(
  upsd: Upsd,
  options: { upses: readonly string[]; load: number },
): Promise<void> {
  const dev = DEFAULT_DEV.replace(
    /^ups\.load: .*$/m,
    `ups.load: ${options.load}`,
  );
  for (const ups of options.upses) {
    await Deno.writeTextFile(`${upsd.dir}/${ups}.dev`, dev);
  }
}

/**
 * Reads each UPS's poll timings as they are now. The daemon rewrites a
 * state file on line power only when its content changes (else once a
 * minute), so the caller first changes the load served (see
 * {@linkcode serveLoad}) and this waits for every file to show it.
 *
 * @param fleet The state files.
 * @param options The load now served, %, and whether the daemon is gone.
 * @returns Per UPS, in order, its timings (the last 60 polls).
 * @throws {Error} When a file does not show the load within 30 s, or
 *   holds no jitter.
 */
export async function freshTimings(
  fleet: FleetConfig,
  options: { load: number; exited: () => boolean },
): Promise<TimingSummary[]> {
  const read = await waitForStates(
    fleet.states,
    (state) => state["load"] === options.load,
    { timeoutMs: REFRESH_TIMEOUT_MS, exited: options.exited },
  );
  if (read === null) {
    throw new Error(
      `Cannot measure the poll jitter: not every state file showed the load "${options.load}" within ${REFRESH_TIMEOUT_MS} ms`,
    );
  }
  return read.map((state, i) => {
    const timing = timingOf(state);
    if (timing?.jitter_ms === null || timing === null) {
      throw new Error(
        `Cannot measure the poll jitter: "${
          fleet.states[i]
        }" holds no jitter_ms`,
      );
    }
    return timing;
  });
}
