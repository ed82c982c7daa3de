/**
 * `deno task compile`: builds `dist/ups-monitor` with `deno compile` and the
 * daemon's permission set. `deno compile` needs a `denort` base binary that
 * it downloads from dl.deno.land; where that is impossible this script stops
 * first, says what is missing and where to put it, and never leaves a broken
 * file behind.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { parseArgs } from "node:util";
import { DAEMON_FLAGS, DENO_CONFIG, MAIN, REPO_ROOT } from "../lib/flags.ts";

const HOST_TARGET = Deno.build.target;

/** Where `deno compile` looks for the base binary of a target. */
async function denortCandidates(target: string): Promise<string[]> {
  const candidates: string[] = [];
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) candidates.push(fromEnv);
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
  if (denoDir) {
    candidates.push(
      `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`,
    );
  }
  return candidates;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    // Missing or unreadable: either way not usable as a base binary.
    return false;
  }
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
  const candidates = await denortCandidates(target);
  const found = [];
  for (const path of candidates) if (await exists(path)) found.push(path);
  if (found.length === 0) {
    console.error(
      [
        `Cannot compile ups-monitor for "${target}": the denort base binary of Deno ${Deno.version.deno} is missing`,
        "deno compile downloads it from dl.deno.land, which is not reachable here. Provide it in one of these places:",
        ...candidates.map((path) => `  ${path}`),
        "  (DENORT_BIN: path of an unzipped denort binary; the cache path: the zip from",
        `  https://dl.deno.land/release/v${Deno.version.deno}/denort-${target}.zip)`,
        `Without a binary, run the program as tests and the rig do: deno run ${
          DAEMON_FLAGS.join(" ")
        } main.ts`,
      ].join("\n"),
    );
    return 1;
  }
  await Deno.mkdir(new URL("../dist/", import.meta.url), { recursive: true });
  const partial = `${output}.partial`;
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
      MAIN,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) {
    await Deno.remove(partial).catch(() => {/* nothing was written */});
    console.error(
      `Cannot compile ups-monitor: deno compile exited with ${result.code}`,
    );
    return 1;
  }
  await Deno.rename(partial, output);
  console.error(`Built ${output}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
