/**
 * `deno task compile`: builds `dist/ups-monitor` with `deno compile` and the
 * daemon's permission set, from the program bundled into one script
 * (`rig/bundle.ts`). `deno compile` needs a `denort` base binary, which
 * it downloads from dl.deno.land on first use and caches; this script always
 * runs it (so a machine with internet just builds), writing into a temporary
 * directory beside the output and renaming the binary into place only on
 * success. When it fails and no denort is at hand, the script explains where
 * to put one for an offline build, exits 1 and leaves nothing behind.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { DAEMON_FLAGS, DENO_CONFIG, REPO_ROOT } from "../lib/flags.ts";
import { buildBundle } from "./bundle.ts";

const HOST_TARGET = Deno.build.target;
const DENO_VERSION = Deno.version.deno;

/** The places `deno compile` takes the base binary of a target from. */
interface DenortPlaces {
  /** `DENORT_BIN`, when set: an unzipped denort binary. */
  fromEnv: string | undefined;
  /** The cached zip, when `deno info` names the cache directory. */
  cached: string | undefined;
}

async function denortPlaces(target: string): Promise<DenortPlaces> {
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  const denoDir = info.success
    ? (JSON.parse(new TextDecoder().decode(info.stdout)) as {
      denoDir?: string;
    }).denoDir
    : undefined;
  return {
    fromEnv: Deno.env.get("DENORT_BIN") || undefined,
    cached: denoDir
      ? `${denoDir}/dl/release/v${DENO_VERSION}/denort-${target}.zip`
      : undefined,
  };
}

async function isFile(path: string | undefined): Promise<boolean> {
  if (path === undefined) return false;
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    // Missing or unreadable: either way not usable as a base binary.
    return false;
  }
}

/** The explanation for a failed compile without a denort at hand. */
function missingDenortMessage(
  target: string,
  code: number,
  places: DenortPlaces,
): string {
  const url =
    `https://dl.deno.land/release/v${DENO_VERSION}/denort-${target}.zip`;
  return [
    `Cannot compile ups-monitor for "${target}": deno compile exited with ${code} and the denort base binary of Deno ${DENO_VERSION} is not at hand`,
    "deno compile downloads it from dl.deno.land (its error is above). Offline, provide it in one of these places:",
    `  DENORT_BIN: path of an unzipped denort binary${
      places.fromEnv ? ` (now "${places.fromEnv}", not a file)` : ""
    }`,
    `  ${
      places.cached ?? "$DENO_DIR/dl/release/v<version>/denort-<target>.zip"
    }: the zip from ${url}`,
    `Without a binary, run the program as tests and the rig do: deno run ${
      DAEMON_FLAGS.join(" ")
    } main.ts`,
  ].join("\n");
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string" }, output: { type: "string" } },
    strict: true,
  });
  const target = values.target ?? HOST_TARGET;
  const output = values.output ??
    `${REPO_ROOT}dist/ups-monitor${target === HOST_TARGET ? "" : `-${target}`}`;
  await Deno.mkdir(dirname(output), { recursive: true });
  // Same directory as the output, so the final rename never crosses devices.
  const work = await Deno.makeTempDir({
    dir: dirname(output),
    prefix: ".compile-",
  });
  try {
    const partial = `${work}/ups-monitor`;
    // The binary embeds the bundle: one script starts sooner than 150 modules.
    const bundle = `${work}/ups-monitor.js`;
    const problem = await buildBundle(bundle);
    if (problem !== null) {
      console.error(problem);
      return 1;
    }
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "compile",
        "--config",
        DENO_CONFIG,
        ...DAEMON_FLAGS,
        "--target",
        target,
        "--output",
        partial,
        bundle,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!result.success) {
      const places = await denortPlaces(target);
      const atHand = await isFile(places.fromEnv) ||
        await isFile(places.cached);
      console.error(
        atHand
          ? `Cannot compile ups-monitor for "${target}": deno compile exited with ${result.code}`
          : missingDenortMessage(target, result.code, places),
      );
      return 1;
    }
    await Deno.rename(partial, output);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  console.error(`Built ${output}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
