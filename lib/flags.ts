/**
 * The one definition of how the program is started without a compiled
 * binary: the same permission set (`daemon` in deno.json) and flags that
 * `deno task compile` bakes in. Tests and the rig use it.
 *
 * @module
 */
import denoConfig from "../deno.json" with { type: "json" };

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
 * longer); `--no-opt` leaves out the optimizing compiler, whose work a 1 s
 * loop never repays: with one UPS, CPU 0.098 -> 0.085 % of a core and RSS
 * -2 MiB (two 30 s windows each); with 64 UPSes CPU rises 3.4 -> 4.1 % and
 * RSS falls 113 -> 107 MiB (`bench:fleet`, 20 s windows).
 */
export const V8_FLAGS =
  "--single-threaded,--max-semi-space-size=1,--no-lazy,--no-opt";

/** Flags of the daemon besides its permissions. */
const RUNTIME_FLAGS = ["--no-prompt", `--v8-flags=${V8_FLAGS}`] as const;

/** Flags of `deno run` and `deno compile` for the daemon. */
export const DAEMON_FLAGS = ["-P=daemon", ...RUNTIME_FLAGS] as const;

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

/** A permission of a set in deno.json: all, some, or some with the rest ignored. */
type PermissionValue = boolean | string[] | {
  allow: string[];
  ignore?: boolean;
};

/**
 * The `daemon` permission set of deno.json as `deno run` flags.
 *
 * @returns `--allow-*` flags (and `--ignore-env` where the set ignores the rest).
 */
export function daemonPermissionFlags(): string[] {
  const set = denoConfig.permissions.daemon as Record<string, PermissionValue>;
  return Object.entries(set).flatMap(([name, value]) => {
    if (value === true) return [`--allow-${name}`];
    if (value === false) return [];
    const { allow, ignore } = Array.isArray(value)
      ? { allow: value, ignore: false }
      : value;
    return [
      `--allow-${name}=${allow.join(",")}`,
      ...(ignore ? [`--ignore-${name}`] : []),
    ];
  });
}

/**
 * The argument list that runs the bundle (`deno task bundle`) as the
 * compiled binary runs it: the daemon's permissions and V8 flags given
 * directly, without deno.json or its lockfile, which the binary does not
 * read either.
 *
 * @param args Arguments of ups-monitor.
 * @param bundle The bundle's path.
 * @returns Arguments for `Deno.execPath()`.
 */
export function bundleRunArgs(
  args: readonly string[],
  bundle: string,
): string[] {
  return [
    "run",
    "--quiet",
    "--no-config",
    "--no-lock",
    ...daemonPermissionFlags(),
    ...RUNTIME_FLAGS,
    bundle,
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
