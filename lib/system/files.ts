/**
 * Atomic file writes for the state, flag, history and pid files: a reader
 * sees the old content or the new, never half of either, also after a crash
 * or power loss.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";
import type { Logger } from "./log.ts";

/** A file could not be read or written; `cause` holds the system error. */
export class FileError extends Error {
  /** The file the operation was about. */
  readonly path: string;

  /**
   * @param message The full message, e.g. `Cannot write "/x": permission denied`.
   * @param path The file the operation was about.
   * @param options The underlying error as `cause`.
   */
  constructor(message: string, path: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FileError";
    this.path = path;
  }
}

/** Options of {@linkcode writeFileAtomic}. */
export interface WriteOptions {
  /** Permission bits of the new file, applied exactly (no umask). @default 0o644 */
  mode?: number;
  /** Hears of a directory fsync that failed (the data itself is safe). @default none */
  logger?: Logger;
}

/**
 * Replaces the file at `path` atomically: writes a temp file in the same
 * directory, fsyncs it, renames it over the target and fsyncs the directory.
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
  const dir = dirname(path);
  const random = crypto.getRandomValues(new Uint8Array(6));
  const suffix = Array.from(random, (b) => b.toString(16).padStart(2, "0"))
    .join("");
  const temp = join(dir, `.${basename(path)}.${suffix}.tmp`);
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  let file: Deno.FsFile | null = null;
  try {
    file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
    await Deno.chmod(temp, options.mode ?? 0o644);
    for (let offset = 0; offset < bytes.length;) {
      offset += await file.write(bytes.subarray(offset));
    }
    await file.sync();
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
      : describe(error);
    throw new FileError(`Cannot write "${path}": ${detail}`, path, {
      cause: error,
    });
  }
  await syncDirectory(dir, options.logger);
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
 * Reads a UTF-8 text file that may legitimately be absent (a flag file).
 *
 * @param path The file to read.
 * @returns Its content, or `null` when it does not exist.
 * @throws {FileError} When it exists but cannot be read, e.g.
 *   `Cannot read "/var/run/x.state": permission denied`.
 */
export async function readTextIfExists(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new FileError(`Cannot read "${path}": ${describe(error)}`, path, {
      cause: error,
    });
  }
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

function describe(error: unknown): string {
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
