/**
 * A temporary directory for tests, removed with everything in it when the
 * holder goes out of scope (`await using dir = await makeTempDir()`).
 *
 * @module
 */

import { join } from "node:path";

/** A temporary directory that deletes itself on disposal. */
export interface TempDir extends AsyncDisposable, Disposable {
  /** Absolute path of the directory. */
  readonly path: string;
  /**
   * Joins `parts` onto the directory's path.
   *
   * @param parts Path segments inside the directory.
   * @returns The absolute path.
   */
  join(...parts: string[]): string;
}

/** Options of {@linkcode makeTempDir}. */
export interface TempDirOptions {
  /** Start of the directory's name. @default "ups-monitor-test-" */
  prefix?: string;
  /** Parent directory. @default the system's temp directory */
  dir?: string;
}

/**
 * Creates a directory under the system's temp directory.
 *
 * @param options Name prefix.
 * @returns The directory; dispose it (sync or async) to remove it recursively.
 * @throws {Deno.errors.PermissionDenied} When the temp directory is not writable.
 */
export async function makeTempDir(
  options: TempDirOptions = {},
): Promise<TempDir> {
  const path = await Deno.makeTempDir({
    prefix: options.prefix ?? "ups-monitor-test-",
    ...(options.dir ? { dir: options.dir } : {}),
  });
  return new OwnedTempDir(path);
}

class OwnedTempDir implements TempDir {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  join(...parts: string[]): string {
    return join(this.path, ...parts);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Deno.remove(this.path, { recursive: true }).catch(ignoreNotFound);
  }

  [Symbol.dispose](): void {
    try {
      Deno.removeSync(this.path, { recursive: true });
    } catch (error) {
      ignoreNotFound(error);
    }
  }
}

function ignoreNotFound(error: unknown): void {
  // The test removed the directory itself: nothing left to clean up.
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}

/**
 * A temporary directory under /run, which the daemon's permission set may
 * read and write: configs and runtime files of tests that run the program
 * under `-P=daemon` go there.
 *
 * @returns The directory; dispose it to remove it.
 */
export function makeRunDir(): Promise<TempDir> {
  return makeTempDir({ dir: "/run", prefix: "ups-monitor-test-" });
}
