/**
 * `deno task bundle`: writes `dist/ups-monitor.js`, the whole program as one
 * minified script (`bundleArgs()` in `lib/flags.ts`), which `deno task
 * compile` embeds and the benchmarks can measure (`--binary
 * dist/ups-monitor.js`). `deno bundle` takes esbuild from npm on first use.
 * The file is written beside the output and renamed into place, so a failed
 * build leaves nothing behind.
 *
 * Usage: `deno task bundle [--output PATH]`.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { bundleArgs, REPO_ROOT } from "../lib/flags.ts";

/** Where `deno task bundle` writes by default. */
export const DEFAULT_BUNDLE = `${REPO_ROOT}dist/ups-monitor.js`;

/**
 * Bundles the program into `output`, atomically.
 *
 * @param output The bundle's path; its directory is created.
 * @returns Null on success, else what went wrong (deno bundle's own error
 *   has gone to stderr).
 */
export async function buildBundle(output: string): Promise<string | null> {
  await Deno.mkdir(dirname(output), { recursive: true });
  const partial = `${output}.partial`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: bundleArgs(partial),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!result.success) {
    await Deno.remove(partial).catch(() => {/* never written */});
    return `Cannot bundle ups-monitor: deno bundle exited with ${result.code} (it takes esbuild from npm on first use)`;
  }
  await Deno.rename(partial, output);
  return null;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string" } },
    strict: true,
  });
  const output = values.output ?? DEFAULT_BUNDLE;
  const problem = await buildBundle(output);
  if (problem !== null) {
    console.error(problem);
    Deno.exit(1);
  }
  console.error(`Built ${output}`);
}
