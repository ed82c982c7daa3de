/**
 * The one definition of how the program is started without a compiled
 * binary: the same permission set (`daemon` in deno.json) and flags that
 * `deno task compile` bakes in. Tests and the rig use it.
 *
 * @module
 */

/**
 * V8 flags baked into the program (issue 19, measured with
 * `deno task bench:system`): `--single-threaded` runs garbage collection and
 * compilation on the main thread, so V8's two worker threads no longer wake
 * for each scavenge (context switches 7.0 -> 4.7 per second, CPU
 * 0.17 -> 0.13 % of a core at a 1 s poll); `--max-semi-space-size=1` caps each of
 * the young generation's two semi-spaces at 1 MiB; they otherwise grow to 8
 * MiB together (RSS 83 -> 74 MiB with the first flag); `--no-lazy` compiles
 * every function when its module is compiled, so Deno's code cache holds
 * them all and a start compiles nothing on first call (start to first poll
 * 86 -> 79 ms, `status` 67 -> 60 ms, private memory +0-2 MiB once the cache
 * is warm; the first run after a change, which writes it, takes about 10 ms
 * longer).
 */
export const V8_FLAGS = "--single-threaded,--max-semi-space-size=1,--no-lazy";

/** Flags of `deno run` and `deno compile` for the daemon. */
export const DAEMON_FLAGS = [
  "-P=daemon",
  "--no-prompt",
  `--v8-flags=${V8_FLAGS}`,
] as const;

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
 * @param entry The program: `main.ts`, or its bundle (`dist/ups-monitor.js`).
 * @returns Arguments for `Deno.execPath()`.
 */
export function denoRunArgs(
  args: readonly string[],
  entry: string = MAIN,
): string[] {
  return [
    "run",
    "--quiet",
    "--config",
    DENO_CONFIG,
    ...DAEMON_FLAGS,
    entry,
    ...args,
  ];
}

/**
 * The arguments of `deno bundle` that turn `main.ts` into the one minified
 * file `deno task compile` embeds: one script instead of 150 modules starts
 * 20–30 ms sooner (issue 19). Type-checked first, as `deno compile` of
 * `main.ts` was; names are kept, so a stack trace still reads.
 *
 * @param output The bundle's path.
 * @returns Arguments for `Deno.execPath()`.
 */
export function bundleArgs(output: string): string[] {
  return [
    "bundle",
    "--quiet",
    "--check",
    "--config",
    DENO_CONFIG,
    "--platform",
    "deno",
    "--minify",
    "--keep-names",
    "--output",
    output,
    MAIN,
  ];
}
