/**
 * `deno task rig`: the outage rig. It replays outage scenarios
 * (`fixtures/profiles/*.yaml`) against the real program over real upsd
 * traffic and reports per scenario pass or fail, the trigger and its delay,
 * the shutdown steps, and optionally an HTML page with a chart per scenario.
 * Exit code 0 only when every chosen scenario passed, 2 on a usage error.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { errorMessage } from "../lib/errors.ts";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "../lib/config/yaml.ts";
import { createRunner } from "../lib/system/exec.ts";
import {
  detectEngine,
  ENGINE_NAMES,
  type EngineChoice,
  EngineUnavailableError,
} from "./engine.ts";
import { ensureImages } from "./image.ts";
import {
  hasSideEffects,
  loadProfiles,
  type Profile,
  ProfileError,
} from "./profile.ts";
import { formatResult, formatSummary, writeHtmlReport } from "./report.ts";
import { runScenario, type ScenarioResult } from "./scenario.ts";
import { SILENT_LOGGER } from "../lib/system/log.ts";

const USAGE = `Usage: deno task rig [options]
  --list                 list the scenarios and exit
  --scenario NAME        run this scenario (repeatable; default all)
  --engine NAME          podman, docker or native (default: podman, then docker)
  --binary PATH          run this compiled ups-monitor instead of deno run
  --config PATH          rehearse your own config (dry-run forced) against the scenarios
  --report FILE.html     write an HTML report with a chart per scenario
  --parallel N           scenarios at a time (default 2; those with side effects one at a time)
  --keep                 leave containers and private directories behind
  --profiles DIR         read scenarios from DIR (default fixtures/profiles)`;

/**
 * Runs the rig.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0 all passed, 1 a scenario failed, 2 usage error.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        list: { type: "boolean" },
        scenario: { type: "string", multiple: true },
        engine: { type: "string" },
        binary: { type: "string" },
        config: { type: "string" },
        report: { type: "string" },
        parallel: { type: "string" },
        keep: { type: "boolean" },
        profiles: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    console.error(`${errorMessage(error)}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let profiles: Profile[];
  try {
    profiles = await loadProfiles(values.profiles);
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    console.error(`Cannot load the scenarios:\n${error.message}`);
    return 2;
  }
  if (values.list) {
    const width = Math.max(...profiles.map((p) => p.name.length));
    for (const p of profiles) {
      console.log(`${p.name.padEnd(width)}  ${p.description}`);
    }
    return 0;
  }
  const wanted = values.scenario ?? [];
  const unknown = wanted.filter((name) =>
    !profiles.some((p) => p.name === name)
  );
  if (unknown.length > 0) {
    console.error(
      `Cannot find scenario "${unknown.join('", "')}"; known: "${
        profiles.map((p) => p.name).join('", "')
      }"`,
    );
    return 2;
  }
  const chosen = wanted.length > 0
    ? profiles.filter((p) => wanted.includes(p.name))
    : profiles;
  const parallel = Number(values.parallel ?? 2);
  if (!Number.isSafeInteger(parallel) || parallel < 1) {
    console.error(
      `Cannot run "${values.parallel}" scenarios at a time: expected a whole number above 0`,
    );
    return 2;
  }
  const engineName = values.engine ?? "auto";
  if (
    engineName !== "auto" && !(ENGINE_NAMES as string[]).includes(engineName)
  ) {
    console.error(
      `Cannot use engine "${engineName}": expected "podman", "docker" or "native"`,
    );
    return 2;
  }
  let userConfig: Record<string, unknown> | undefined;
  if (values.config !== undefined) {
    try {
      userConfig = parseYaml(await Deno.readTextFile(values.config));
    } catch (error) {
      console.error(
        `Cannot read the config "${values.config}": ${errorMessage(error)}`,
      );
      return 2;
    }
  }
  if (values.binary !== undefined) {
    try {
      if (!(await Deno.stat(values.binary)).isFile) {
        throw new Error("not a file");
      }
    } catch (error) {
      console.error(
        `Cannot run the binary "${values.binary}": ${errorMessage(error)}`,
      );
      return 2;
    }
  }
  if (Deno.uid() !== 0) {
    console.error(
      "Cannot run the rig without root: each scenario runs the program in its own mount namespace",
    );
    return 2;
  }

  const began = performance.now();
  let engine;
  try {
    engine = await detectEngine(engineName as EngineChoice, {
      runner: createRunner({ logger: SILENT_LOGGER, dryRun: false }),
    });
  } catch (error) {
    if (!(error instanceof EngineUnavailableError)) throw error;
    console.error(error.message);
    return 2;
  }
  const images = engine.containers ? (await ensureImages(engine)).images : null;
  const runDir = `/run/ups-monitor-rig/${
    new Date().toISOString().replace(/[:.]/g, "-")
  }`;
  await Deno.mkdir(runDir, { recursive: true, mode: 0o700 });
  console.log(
    `Running ${chosen.length} scenario(s) on ${engine.name} with ${
      values.binary ? `the binary "${values.binary}"` : "deno run -P=daemon"
    }${
      userConfig ? ` rehearsing "${values.config}" (dry-run)` : ""
    }, ${parallel} at a time`,
  );
  const context = {
    engine,
    images,
    runDir,
    keep: values.keep ?? false,
    ...(values.binary ? { binary: values.binary } : {}),
    ...(userConfig ? { userConfig } : {}),
    progress: (line: string) => console.log(`  … ${line}`),
  };
  const results = await runAll(
    chosen,
    parallel,
    (profile) =>
      runScenario(profile, context).then((result) => {
        console.log(formatResult(result));
        return result;
      }),
  );
  if (!context.keep) {
    await Deno.remove(runDir, { recursive: true }).catch(() => {});
  }
  const wallMs = performance.now() - began;
  if (values.report) {
    await writeHtmlReport(values.report, results, {
      engine: engine.name,
      program: values.binary ?? "deno run -P=daemon main.ts",
      wallMs,
    });
    console.log(`Report written to "${values.report}"`);
  }
  console.log(formatSummary(results, wallMs));
  return results.every((r) => r.verdict.passed) ? 0 : 1;
}

/**
 * Runs the scenarios `parallel` at a time, those with side effects (real
 * containers to stop) one at a time among themselves; results keep the
 * order of `profiles`.
 */
async function runAll(
  profiles: readonly Profile[],
  parallel: number,
  one: (profile: Profile) => Promise<ScenarioResult>,
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = new Array(profiles.length);
  // Side-effect scenarios first: they are the long ones.
  const queue = profiles.map((profile, index) => ({ profile, index }))
    .sort((a, b) =>
      Number(hasSideEffects(b.profile.expect)) -
      Number(hasSideEffects(a.profile.expect))
    );
  let busy = false;
  const waiters: (() => void)[] = [];
  const worker = async () => {
    while (queue.length > 0) {
      const at = queue.findIndex((item) =>
        !hasSideEffects(item.profile.expect) || !busy
      );
      if (at < 0) {
        // Only side-effect scenarios are left and one runs: wait for it.
        await new Promise<void>((resolve) => waiters.push(resolve));
        continue;
      }
      const [{ profile, index }] = queue.splice(at, 1) as [
        (typeof queue)[number],
      ];
      const exclusive = hasSideEffects(profile.expect);
      if (exclusive) busy = true;
      try {
        results[index] = await one(profile);
      } finally {
        if (exclusive) {
          busy = false;
          for (const wake of waiters.splice(0)) wake();
        }
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(parallel, profiles.length) }, worker),
  );
  return results;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
