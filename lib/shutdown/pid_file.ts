/**
 * The pid file: marks a live daemon, so `reset` and a second instance can
 * tell. A pid file whose process is gone is stale and is taken over.
 *
 * @module
 */
import {
  READ_LIMITS,
  readTextIfExists,
  writeFileAtomic,
} from "../system/files.ts";
import type { Runner } from "../system/exec.ts";
import { readProcFile } from "../system/proc_file.ts";

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

/** What a pid file says: the daemon's pid and, if recorded, its command line. */
export interface PidRecord {
  /** The daemon's pid. */
  pid: number;
  /**
   * The daemon's `/proc/<pid>/cmdline` words when it wrote the file; `null`
   * in a file of an older version, which held the pid alone.
   */
  argv: string[] | null;
}

/**
 * Reads a pid file: the pid on the first line, then the daemon's command
 * line as a JSON array of strings.
 *
 * @param path The pid file (`paths.pid`).
 * @returns The record, or `null` when the file is absent or holds no pid.
 * @throws {FileError} When it exists but cannot be read.
 */
export async function readPidRecord(path: string): Promise<PidRecord | null> {
  const text = await readTextIfExists(path, READ_LIMITS.pid);
  if (text === null) return null;
  const [first = "", second = ""] = text.split("\n");
  const pid = Number(first.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  return { pid, argv: parseArgv(second) };
}

function parseArgv(line: string): string[] | null {
  try {
    const value: unknown = JSON.parse(line);
    return Array.isArray(value) && value.length > 0 &&
        value.every((word) => typeof word === "string")
      ? value
      : null;
  } catch {
    // Absent (a pid file of an older version) or damaged: nothing recorded.
    return null;
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
  return (await readPidRecord(path))?.pid ?? null;
}

/**
 * Whether a process is alive (a zombie counts as dead), from
 * `/proc/<pid>/stat` (see proc_file.ts for how `/proc` is read).
 *
 * @param pid The process id.
 * @param runner The runner.
 * @returns Whether the process exists and is not a zombie.
 */
export async function isProcessAlive(
  pid: number,
  runner: Runner,
): Promise<boolean> {
  const read = await readProcFile(`/proc/${pid}/stat`, runner);
  if (!("text" in read)) return false;
  // "pid (comm) S …": the state follows the last ")".
  const state = read.text.slice(read.text.lastIndexOf(")") + 2)[0];
  return state !== undefined && state !== "Z";
}

/**
 * The command line of a process, from `/proc/<pid>/cmdline`.
 *
 * @param pid The process id.
 * @param runner The runner.
 * @returns Its words, or `null` when the process is gone or unreadable.
 */
export async function commandLineOf(
  pid: number,
  runner: Runner,
): Promise<string[] | null> {
  const read = await readProcFile(`/proc/${pid}/cmdline`, runner);
  if (!("text" in read) || read.text === "") return null;
  // Each word ends with a NUL.
  return read.text.replace(/\0$/, "").split("\0");
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
  const record = await readPidRecord(path);
  if (record === null) return null;
  // This process is an ups-monitor by definition.
  if (record.pid === Deno.pid) return record.pid;
  if (!await isProcessAlive(record.pid, runner)) return null;
  return await isRecordedDaemon(record, runner) ? record.pid : null;
}

/**
 * Whether a live pid is still the daemon that wrote the pid file (the same
 * command line), so a stale pid file whose pid was reused by another program
 * after a crash does not keep the daemon from starting.
 */
async function isRecordedDaemon(
  record: PidRecord,
  runner: Runner,
): Promise<boolean> {
  const argv = await commandLineOf(record.pid, runner);
  if (argv === null) return false;
  if (record.argv !== null) {
    return argv.length === record.argv.length &&
      argv.every((word, i) => word === record.argv?.[i]);
  }
  // A pid file of an older version, which recorded no command line: its
  // daemon is the binary or `deno run … main.ts`.
  return argv.some((word) => /(^|\/)(ups-monitor|main\.ts)$/.test(word));
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
 * Writes this daemon's pid and command line, refusing when another live
 * daemon holds the file. A stale file (its process is gone, or its pid now
 * runs another command line) is replaced.
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
  // Without a readable command line the file holds the pid alone, as older
  // versions wrote it.
  const argv = await commandLineOf(options.pid, options.runner);
  await writeFileAtomic(
    path,
    `${options.pid}\n${argv === null ? "" : JSON.stringify(argv) + "\n"}`,
  );
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
