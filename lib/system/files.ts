/**
 * Atomic file writes for the state, flag, history and pid files: a reader
 * sees the old content or the new, never half of either, also after a crash
 * or power loss. Bounded reads of regular files only, so a path that points
 * at `/dev/zero` or a FIFO cannot exhaust memory or hang a command; an
 * append-open (the log file) that does not follow symlinks.
 *
 * @module
 */

import type { Logger } from "./log.ts";

/** Options of {@linkcode FileError}. */
export interface FileErrorOptions extends ErrorOptions {
  /** What went wrong without the path, e.g. `it is not a regular file`. @default the message */
  detail?: string;
}

/**
 * A file could not be read or written; `cause` holds the system error, if
 * there was one.
 */
export class FileError extends Error {
  /** The file the operation was about. */
  readonly path: string;
  /** What went wrong without the path, for callers that name the file themselves. */
  readonly detail: string;

  /**
   * @param message The full message, e.g. `Cannot write "/x": permission denied`.
   * @param path The file the operation was about.
   * @param options The underlying error as `cause`, and the `detail`.
   */
  constructor(message: string, path: string, options: FileErrorOptions = {}) {
    const { detail, ...errorOptions } = options;
    super(message, errorOptions);
    this.name = "FileError";
    this.path = path;
    this.detail = detail ?? message;
  }
}

/**
 * Upper bounds of the files the program reads, in bytes: far above any real
 * content, far below what would strain memory.
 */
export const READ_LIMITS = {
  /** The YAML config (and the old script `migrate` reads). */
  config: 1024 * 1024,
  /** A password file: its first line is the password. */
  secret: 64 * 1024,
  /** A PEM bundle of CA certificates (Debian's full bundle is about 220 KB). */
  caFile: 4 * 1024 * 1024,
  /** The crisis flag. */
  flag: 1024 * 1024,
  /** The outage history: at most 100 000 samples of about 20 bytes. */
  history: 8 * 1024 * 1024,
  /** Learned step durations: 20 runs of a few dozen steps. */
  durations: 1024 * 1024,
  /** The state snapshot, readiness included. */
  state: 1024 * 1024,
  /** The pid file: a pid and the daemon's command line. */
  pid: 64 * 1024,
} as const;

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /**
   * Permission bits of the new file, applied exactly (no umask). Runtime
   * files hold outage and shutdown details: not for every local user.
   * @default 0o640
   */
  mode?: number;
  /** Hears of a directory fsync that failed (the data itself is safe). @default none */
  logger?: Logger;
  /**
   * fsync the file and its directory, so the content survives a power loss
   * or a kernel crash. Without it the rename is still atomic for every
   * reader and survives a crash of the process (the page cache holds it):
   * enough for files that only matter within the same boot.
   * @default true
   */
  durable?: boolean;
}

/**
 * Replaces the file at `path` atomically: writes a temp file in the same
 * directory, fsyncs it (unless `durable: false`), renames it over the target
 * and fsyncs the directory.
 * On failure the temp file is removed and the target is left as it was.
 *
 * @param path The file to replace or create.
 * @param data The new content; a string is written as UTF-8.
 * @param options Mode and logger.
 * @returns When the new content is durable.
 * @throws {FileError} When any step fails, e.g.
 *   `Cannot write "/var/run/x.state": permission denied`.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: WriteOptions = {},
): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const random = crypto.getRandomValues(new Uint8Array(6));
  const suffix = Array.from(random, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  // Beside the target, so the rename stays on one file system.
  const temp = `${path.slice(0, slash + 1)}.${
    path.slice(slash + 1)
  }.${suffix}.tmp`;
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  let file: Deno.FsFile | null = null;
  try {
    file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    await Deno.chmod(temp, options.mode ?? 0o640);
    for (let offset = 0; offset < bytes.length;) {
      offset += await file.write(bytes.subarray(offset));
    }
    if (options.durable !== false) await file.sync();
    file.close();
    file = null;
    await Deno.rename(temp, path);
  } catch (error) {
    file?.close();
    await Deno.remove(temp).catch((removeError: unknown) => {
      // Usually NotFound: the temp file was never created.
      options.logger?.debug("files.cleanup", "Cannot remove a temp file", {
        path: temp,
        error: removeError,
      });
    });
    const detail = error instanceof Deno.errors.NotFound
      ? `directory "${dir}" does not exist`
      : describeFileError(error);
    throw new FileError(`Cannot write "${path}": ${detail}`, path, {
      cause: error,
    });
  }
  if (options.durable !== false) await syncDirectory(dir, options.logger);
}

/**
 * Writes `value` as pretty-printed JSON with a final newline, atomically.
 *
 * @param path The file to replace or create.
 * @param value Anything `JSON.stringify` accepts.
 * @param options Mode and logger, as for {@linkcode writeFileAtomic}.
 * @returns When the new content is durable.
 * @throws {FileError} When the file cannot be written.
 * @throws {TypeError} When `value` cannot be serialised (a cycle, a BigInt).
 */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: WriteOptions = {},
): Promise<void> {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) {
    throw new TypeError(`Cannot write "${path}": the value is not JSON`);
  }
  await writeFileAtomic(path, text + "\n", options);
}

/**
 * Reads a UTF-8 text file of at most `maxBytes` bytes, only if it is a
 * regular file (a symlink to one is fine). The type is checked before the
 * open, as opening a FIFO blocks until a writer comes, and again on the open
 * handle; a FIFO swapped in between the two (by someone who can write the
 * directory) would still block the open.
 *
 * @param path The file to read.
 * @param maxBytes The largest size accepted.
 * @returns Its content; invalid UTF-8 becomes U+FFFD, as `Deno.readTextFile` does.
 * @throws {FileError} When it is missing, unreadable, not a regular file or
 *   too large, e.g. `Cannot read "/etc/x": it is larger than 1024 bytes`.
 */
export async function readTextBounded(
  path: string,
  maxBytes: number,
): Promise<string> {
  const fail = (detail: string, cause?: unknown): never => {
    throw new FileError(`Cannot read "${path}": ${detail}`, path, {
      detail,
      ...(cause === undefined ? {} : { cause }),
    });
  };
  const checkType = (info: Deno.FileInfo) => {
    if (info.isDirectory) fail("it is a directory");
    if (!info.isFile) fail("it is not a regular file");
    if (info.size > maxBytes) fail(`it is larger than ${maxBytes} bytes`);
  };
  let file: Deno.FsFile;
  try {
    checkType(await Deno.stat(path));
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof FileError) throw error;
    return fail(describeFileError(error), error);
  }
  using handle = file;
  try {
    const info = await handle.stat();
    checkType(info);
    // Sized to the file, not the limit (a 300-byte state file read with an
    // 8 MiB limit held 8 MiB until the next garbage collection); one byte
    // more tells a file that grew since the stat, and the buffer grows up
    // to one byte more than allowed.
    let buffer = new Uint8Array(info.size + 1);
    let length = 0;
    while (length <= maxBytes) {
      if (length === buffer.length) {
        const grown = new Uint8Array(Math.min(maxBytes + 1, length * 2));
        grown.set(buffer);
        buffer = grown;
      }
      const read = await handle.read(buffer.subarray(length));
      if (read === null) break;
      length += read;
    }
    if (length > maxBytes) fail(`it is larger than ${maxBytes} bytes`);
    return new TextDecoder().decode(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof FileError) throw error;
    return fail(describeFileError(error), error);
  }
}

/**
 * Reads a UTF-8 text file that may legitimately be absent (a flag file),
 * bounded as {@linkcode readTextBounded}.
 *
 * @param path The file to read.
 * @param maxBytes The largest size accepted (see {@linkcode READ_LIMITS}).
 * @returns Its content, or `null` when it does not exist.
 * @throws {FileError} When it exists but cannot be read, e.g.
 *   `Cannot read "/var/run/x.state": permission denied`.
 */
export async function readTextIfExists(
  path: string,
  maxBytes: number,
): Promise<string | null> {
  try {
    return await readTextBounded(path, maxBytes);
  } catch (error) {
    if (
      error instanceof FileError && error.cause instanceof Deno.errors.NotFound
    ) {
      return null;
    }
    throw error;
  }
}

/**
 * Opens a regular file for appending (the log file), creating it if absent,
 * but never through a symlink. Deno has no `O_NOFOLLOW`: the path is checked
 * with lstat before the open (a FIFO would block the open, a symlink could
 * point anywhere) and compared with the open file after it. Someone who can
 * write the directory could still swap in a symlink between the two; then at
 * worst an empty file appears at its target, nothing is written to it, and
 * the open fails.
 *
 * @param path The file.
 * @param mode Permission bits of a new file (the umask applies).
 * @returns The open file; the caller closes it.
 * @throws {Error} With a lower-case reason, e.g. `it is a symbolic link`, or
 *   the system error (see {@linkcode describeFileError}).
 */
export function openAppendNoFollow(path: string, mode: number): Deno.FsFile {
  let before: Deno.FileInfo | null = null;
  try {
    before = Deno.lstatSync(path);
  } catch (error) {
    // Absent: the open creates it.
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (before !== null && !before.isFile) throw new Error(notAFile(before));
  const file = Deno.openSync(path, { append: true, create: true, mode });
  try {
    const opened = file.statSync();
    const now = Deno.lstatSync(path);
    if (!now.isFile) throw new Error(notAFile(now));
    if (now.ino !== opened.ino || now.dev !== opened.dev) {
      throw new Error("it was replaced while being opened");
    }
    return file;
  } catch (error) {
    file.close();
    throw error;
  }
}

function notAFile(info: Deno.FileInfo): string {
  if (info.isSymlink) return "it is a symbolic link";
  if (info.isDirectory) return "it is a directory";
  return "it is not a regular file";
}

/** Makes a rename durable; some file systems refuse fsync on a directory. */
async function syncDirectory(dir: string, logger?: Logger): Promise<void> {
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch (error) {
    // The new content is in place either way; only its durability across a
    // power loss depends on this.
    logger?.debug("files.dir_sync", `Cannot fsync directory "${dir}"`, {
      error,
    });
  }
}

/**
 * The reason of a file system error in the project's message style.
 *
 * @param error What a `Deno` file call threw.
 * @returns e.g. `permission denied`, `no such file`, `it is a directory`.
 */
export function describeFileError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) {
    return "not allowed by the permission set";
  }
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (error instanceof Error) {
    // "No space left on device (os error 28): open '/x'" → "no space left on device"
    const reason = error.message.replace(/ \(os error \d+\).*$/s, "");
    return reason.charAt(0).toLowerCase() + reason.slice(1);
  }
  return String(error);
}
