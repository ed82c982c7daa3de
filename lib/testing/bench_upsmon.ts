/**
 * NUT's `upsmon` for the system benchmark (`lib/system_bench.ts`): a private
 * config as a secondary of the test upsd, started in its own process group,
 * timed from spawn to its first status. Test support only.
 *
 * @module
 */
import { isRunning, processTree } from "./proc_stats.ts";
import { type Upsd, USERS } from "./upsd.ts";

const UPSMON = "/lib/nut/upsmon";
/** Compiled into Debian's upsmon (its PIDPATH); no variable moves it. */
const UPSMON_PID_FILE = "/run/nut/upsmon.pid";
const START_TIMEOUT_MS = 20_000;

/** A running upsmon (a privileged parent and its monitoring child). */
export interface Upsmon extends AsyncDisposable {
  /** The parent's pid. */
  readonly pid: number;
  /** Lines of stderr so far (only with `debug`). */
  readonly lines: string[];
}

/** What {@linkcode writeUpsmonConfig} may change. */
export interface UpsmonConfigOptions {
  /** SHUTDOWNCMD, one shell command line. @default "/bin/true" */
  shutdownCmd?: string;
  /** NOTIFYCMD for every event (EXEC), or none. @default none */
  notifyCmd?: string;
  /** FINALDELAY, seconds. @default upsmon's 5 */
  finalDelay?: number;
}

const NOTIFY_EVENTS = [
  "ONLINE",
  "ONBATT",
  "LOWBATT",
  "FSD",
  "COMMOK",
  "COMMBAD",
  "SHUTDOWN",
  "NOCOMM",
];

/**
 * Writes upsmon's private config: a secondary of the test upsd polling every
 * second, with a harmless SHUTDOWNCMD unless told otherwise.
 *
 * @param dir Its own directory (NUT_CONFPATH).
 * @param upsd The server.
 * @param options Shutdown and notify commands, final delay.
 */
export async function writeUpsmonConfig(
  dir: string,
  upsd: Upsd,
  options: UpsmonConfigOptions = {},
) {
  const notify = options.notifyCmd === undefined
    ? ""
    : `NOTIFYCMD "${options.notifyCmd}"\n${
      NOTIFY_EVENTS.map((event) => `NOTIFYFLAG ${event} SYSLOG+EXEC\n`).join("")
    }`;
  await Deno.writeTextFile(
    `${dir}/upsmon.conf`,
    `${
      Deno.uid() === 0 ? "RUN_AS_USER root\n" : ""
    }MONITOR ${upsd.target()} 1 ${USERS.mon.name} ${USERS.mon.password} secondary
MINSUPPLIES 1
SHUTDOWNCMD "${options.shutdownCmd ?? "/bin/true"}"
POLLFREQ 1
POLLFREQALERT 1
POWERDOWNFLAG ${dir}/killpower
${
      options.finalDelay === undefined
        ? ""
        : `FINALDELAY ${options.finalDelay}\n`
    }${notify}`,
    { mode: 0o600 },
  );
}

/** Refuses to start beside another upsmon: the pid file has no private path. */
function assertNoOtherUpsmon(): void {
  let pid: number;
  try {
    pid = Number.parseInt(Deno.readTextFileSync(UPSMON_PID_FILE), 10);
  } catch {
    return; // no pid file: nothing runs
  }
  if (pid > 0 && isRunning(pid)) {
    throw new Error(
      `Cannot start upsmon: another upsmon runs as process ${pid} ("${UPSMON_PID_FILE}")`,
    );
  }
}

/**
 * Starts upsmon in the foreground in its own process group.
 *
 * @param dir Its config dir (see {@linkcode writeUpsmonConfig}).
 * @param debug Run with `-DD` and collect stderr (it logs each poll).
 * @param privileged One process (`-p`), which runs SHUTDOWNCMD itself and
 *   keeps its login until that returns; else a privileged parent runs it
 *   after the monitoring child (and its login) has gone.
 * @returns The running upsmon; disposing it stops the group and removes its pid file.
 * @throws {Error} When another upsmon runs.
 */
export function spawnUpsmon(
  dir: string,
  debug: boolean,
  privileged = false,
): Upsmon {
  assertNoOtherUpsmon();
  const args = [
    ...(debug ? ["-DD"] : ["-F"]),
    ...(Deno.uid() === 0 && !privileged ? ["-u", "root"] : ["-p"]),
  ];
  const child = new Deno.Command(UPSMON, {
    args,
    env: { NUT_CONFPATH: dir, NUT_STATEPATH: dir, NUT_ALTPIDPATH: dir },
    stdin: "null",
    stdout: "null",
    stderr: debug ? "piped" : "null",
    detached: true,
  }).spawn();
  const lines: string[] = [];
  const reading = debug ? collectLines(child.stderr, lines) : Promise.resolve();
  return {
    pid: child.pid,
    lines,
    async [Symbol.asyncDispose]() {
      const tree = knownTree(child.pid);
      await stopGroup(child);
      await reading;
      await waitGone(tree);
      removeOwnPidFile(tree);
    },
  };
}

/**
 * The process and its descendants; only itself where `/proc` cannot be
 * listed (Deno lets only --allow-all read it): the group kill still reaches
 * the rest.
 */
function knownTree(pid: number): number[] {
  try {
    return processTree(pid);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return [pid];
    throw error;
  }
}

async function collectLines(
  stream: ReadableStream<Uint8Array>,
  lines: string[],
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) lines.push(`${performance.now()} ${line}`);
  }
}

async function stopGroup(child: Deno.ChildProcess): Promise<void> {
  const send = (signal: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, signal);
    } catch {
      // The whole group has exited already.
    }
  };
  send("SIGTERM");
  const timer = setTimeout(() => send("SIGKILL"), 5000);
  await child.status;
  clearTimeout(timer);
}

/** Waits (up to 5 s) until processes that left our tree have exited too. */
async function waitGone(pids: number[]): Promise<void> {
  const end = performance.now() + 5000;
  while (pids.some(isRunning) && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function removeOwnPidFile(tree: number[]): void {
  try {
    const pid = Number.parseInt(Deno.readTextFileSync(UPSMON_PID_FILE), 10);
    // upsmon leaves its pid file behind on SIGTERM; only ours is ours to remove.
    if (tree.includes(pid)) Deno.removeSync(UPSMON_PID_FILE);
  } catch {
    // No pid file (a non-root upsmon cannot write it): nothing to clean up.
  }
}

/**
 * Times upsmon from spawn to its first successful poll: with `-DD` it logs
 * `parse_status: [OL …]` once it has the status. The debug run is stopped
 * afterwards; the measured window runs without debug output.
 *
 * @param dir Its config dir.
 * @returns Milliseconds.
 * @throws {Error} When no status comes within 20 s.
 */
export async function timeUpsmonStart(dir: string): Promise<number> {
  const spawnedAt = performance.now();
  await using upsmon = spawnUpsmon(dir, true);
  const end = spawnedAt + START_TIMEOUT_MS;
  while (performance.now() < end) {
    const line = upsmon.lines.find((l) => l.includes("parse_status:"));
    if (line) return Number.parseFloat(line) - spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(
    `Cannot measure upsmon: no status within ${START_TIMEOUT_MS} ms; output:\n  ${
      upsmon.lines.join("\n  ")
    }`,
  );
}
