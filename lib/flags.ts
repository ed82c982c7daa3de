/**
 * The one definition of how the program is started without a compiled
 * binary: the same permission set (`daemon` in deno.json) and flags that
 * `deno task compile` bakes in. Tests and the rig use it.
 *
 * @module
 */

/** Flags of `deno run` and `deno compile` for the daemon. */
export const DAEMON_FLAGS = ["-P=daemon", "--no-prompt"] as const;

/** Root of the repository. */
export const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** The entry point. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** deno.json, passed explicitly so the working directory does not matter. */
export const DENO_CONFIG = new URL("../deno.json", import.meta.url).pathname;

/**
 * The argument list that runs ups-monitor through `deno run` exactly as the
 * compiled binary would run.
 *
 * @param args Arguments of ups-monitor.
 * @returns Arguments for `Deno.execPath()`.
 */
export function denoRunArgs(args: readonly string[]): string[] {
  return [
    "run",
    "--quiet",
    "--config",
    DENO_CONFIG,
    ...DAEMON_FLAGS,
    MAIN,
    ...args,
  ];
}
