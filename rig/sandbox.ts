/**
 * Runs the real program (`ups-monitor run --log-format json`, the compiled
 * binary or `deno run` with the daemon's flags) in a private mount namespace
 * of its own: `unshare --mount --propagation slave` runs `rig/sandbox.sh`,
 * which bind-mounts the scenario's private config directory over
 * `/etc/ups-monitor` and its private log directory over `/var/log`, mounts
 * the scenario's tmpfs file systems, and execs the program without
 * `--config`, so the default paths are really used and nothing is visible
 * outside. `/run` stays shared: the container engine needs it, and the
 * generated config moves the state, flag, history and pid files into the
 * scenario's private directory under `/run`.
 *
 * Slave, not private, propagation: mounts made inside never reach the host,
 * but the host's later mounts still reach the program. With private
 * propagation, a container started after the namespace was made (another
 * scenario's) has its network namespace file under `/run/netns` unmounted
 * inside, and `podman ps` there fails with `unknown FS magic`.
 *
 * @module
 */
import { parseMountInfo } from "../lib/shutdown/steps/filesystems.ts";
import { createRunner } from "../lib/system/exec.ts";
import { denoRunArgs } from "../lib/flags.ts";
import {
  type JsonProcess,
  type LoggedEvent,
  spawnJsonProcess,
} from "../lib/testing/json_process.ts";
import { SILENT_LOGGER } from "../lib/system/log.ts";

/** The mount-namespace script. */
export const SANDBOX_SCRIPT = new URL("sandbox.sh", import.meta.url).pathname;

/** One JSON log line of the program, with its arrival time. */
export type ProgramEvent = LoggedEvent;

/** What {@linkcode sandboxArgs} and {@linkcode startSandboxed} need. */
export interface SandboxOptions {
  /** Directory bound over `/etc/ups-monitor` (holds `config.yaml`). */
  configDir: string;
  /** Directory bound over `/var/log`. */
  logDir: string;
  /** Directories to mount a tmpfs on, inside the namespace only. */
  tmpfs: readonly string[];
  /** The compiled binary; without it `deno run` with the daemon's flags. */
  binary?: string;
  /** Arguments of ups-monitor, e.g. `["run", "--log-format", "json"]`. */
  args: readonly string[];
}

/**
 * The program and arguments that run ups-monitor in its own namespace.
 *
 * @param options Directories, mounts, program form and its arguments.
 * @returns `unshare` and its argument array (no shell string anywhere).
 */
export function sandboxArgs(
  options: SandboxOptions,
): { program: string; args: string[] } {
  const inner = options.binary
    ? [options.binary, ...options.args]
    : [Deno.execPath(), ...denoRunArgs(options.args)];
  return {
    program: "unshare",
    args: [
      "--mount",
      "--propagation",
      "slave",
      "/bin/bash",
      SANDBOX_SCRIPT,
      "--bind",
      options.configDir,
      "/etc/ups-monitor",
      "--bind",
      options.logDir,
      "/var/log",
      ...options.tmpfs.flatMap((dir) => ["--tmpfs", dir]),
      "--",
      ...inner,
    ],
  };
}

/** The program running in its namespace. */
export interface SandboxedProgram extends JsonProcess {
  /**
   * Waits for the first matching event at index `from` or later.
   *
   * @returns The event, or null after `timeoutMs` or when the program ended.
   */
  waitFor(
    match: (event: ProgramEvent) => boolean,
    options?: { from?: number; timeoutMs?: number },
  ): Promise<ProgramEvent | null>;
  /** The mount points inside its namespace, or null once it has exited. */
  mountPoints(): Promise<string[] | null>;
}

/**
 * Starts the program in a private mount namespace with JSON logs.
 *
 * @param options Directories, mounts, program form and its arguments.
 * @param env Environment of the program (PATH with the stand-ins first).
 * @returns The running program.
 */
export function startSandboxed(
  options: SandboxOptions,
  env: Record<string, string>,
): SandboxedProgram {
  const { program, args } = sandboxArgs(options);
  const process = spawnJsonProcess(program, args, env);
  let ended = false;
  void process.exited.then(() => ended = true);
  return Object.assign(process, {
    waitFor: process.next,
    async mountPoints() {
      if (ended) return null;
      // Deno reads /proc only with --allow-all: cat reads it.
      const result = await createRunner({
        logger: SILENT_LOGGER,
        dryRun: false,
      })
        .run("cat", [`/proc/${process.pid}/mountinfo`], {
          kind: "query",
          timeoutMs: 5000,
        });
      return result.code === 0 ? parseMountInfo(result.stdout) : null;
    },
  });
}
