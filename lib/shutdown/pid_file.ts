/**
 * The pid file: marks a live daemon, so `reset` and a second instance can
 * tell. A pid file whose process is gone is stale and is taken over.
 *
 * @module
 */
import { readTextIfExists, writeFileAtomic } from "../system/files.ts";
import type { Runner } from "../system/exec.ts";

/** Another daemon holds the pid file. */
export class PidFileError extends Error {
  /** The live daemon's pid. */
  readonly pid: number;

  /**
   * @param path The pid file.
   * @param pid The live daemon's pid.
   */
  constructor(path: string, pid: number) {
    super(
      `Cannot start: another ups-monitor is running with pid "${pid}" (pid file "${path}")`,
    );
    this.name = "PidFileError";
    this.pid = pid;
  }
}

/**
 * Reads the pid in a pid file.
 *
 * @param path The pid file (`paths.pid`).
 * @returns The pid, or `null` when the file is absent or holds no pid.
 * @throws {FileError} When it exists but cannot be read.
 */
export async function readPidFile(path: string): Promise<number | null> {
  const text = await readTextIfExists(path);
  if (text === null) return null;
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Whether a process is alive (a zombie counts as dead). Deno reads `/proc`
 * only with all permissions, so `cat` reads `/proc/<pid>/stat`, as a query.
 *
 * @param pid The process id.
 * @param runner The runner.
 * @returns Whether the process exists and is not a zombie.
 */
export async function isProcessAlive(
  pid: number,
  runner: Runner,
): Promise<boolean> {
  const result = await runner.run("cat", [`/proc/${pid}/stat`], {
    kind: "query",
    timeoutMs: 5000,
  });
  if (result.code !== 0) return false;
  // "pid (comm) S …": the state follows the last ")".
  const state = result.stdout.slice(result.stdout.lastIndexOf(")") + 2)[0];
  return state !== undefined && state !== "Z";
}

/**
 * The pid of the live daemon named by a pid file, if any.
 *
 * @param path The pid file.
 * @param runner The runner (to look at `/proc`).
 * @returns The pid when that process is alive, else `null`.
 */
export async function livePid(
  path: string,
  runner: Runner,
): Promise<number | null> {
  const pid = await readPidFile(path);
  if (pid === null) return null;
  // This process is an ups-monitor by definition.
  if (pid === Deno.pid) return pid;
  if (!await isProcessAlive(pid, runner)) return null;
  return await isUpsMonitor(pid, runner) ? pid : null;
}

/**
 * Whether a live pid is an ups-monitor (the binary, or `deno run … main.ts`),
 * so a stale pid file whose pid was reused by another program after a crash
 * does not keep the daemon from starting.
 */
async function isUpsMonitor(pid: number, runner: Runner): Promise<boolean> {
  const result = await runner.run("cat", [`/proc/${pid}/cmdline`], {
    kind: "query",
    timeoutMs: 5000,
  });
  if (result.code !== 0) return false;
  const words = result.stdout.split("\0");
  return words.some((word) => /(^|\/)(ups-monitor|main\.ts)$/.test(word));
}

/** A held pid file; dispose it (or `release()`) when the daemon stops. */
export interface PidFile extends AsyncDisposable {
  /** The pid file's path. */
  readonly path: string;
  /** The pid written in it. */
  readonly pid: number;
  /** Removes the file if it still names this pid. */
  release(): Promise<void>;
}

/**
 * Writes this daemon's pid, refusing when another live daemon holds the
 * file. A stale file (its process is gone) is replaced.
 *
 * @param path The pid file.
 * @param options `pid` to write (the daemon's `Deno.pid`) and the runner.
 * @returns The held pid file.
 * @throws {PidFileError} When another live process holds the file.
 * @throws {FileError} When the file cannot be read or written.
 */
export async function acquirePidFile(
  path: string,
  options: { pid: number; runner: Runner },
): Promise<PidFile> {
  const holder = await livePid(path, options.runner);
  if (holder !== null && holder !== options.pid) {
    throw new PidFileError(path, holder);
  }
  await writeFileAtomic(path, `${options.pid}\n`);
  const release = async () => {
    if (await readPidFile(path) !== options.pid) return;
    await Deno.remove(path).catch((error: unknown) => {
      // Already gone: nothing to release.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
  };
  return {
    path,
    pid: options.pid,
    release,
    [Symbol.asyncDispose]: release,
  };
}
