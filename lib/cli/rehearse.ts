/**
 * `ups-monitor rehearse`: runs every step of the shutdown sequence in dry-run
 * against the live system (read-only queries run, actions are only logged),
 * records the measured durations as dry runs in `paths.durations`, and
 * prints the plan with what each step found (VMs and containers running now,
 * mounts present). No flag file, no notification, no trigger.
 *
 * @module
 */
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { LogNotifier } from "../notify/notifier.ts";
import { UNKNOWN_BOOT_ID } from "../shutdown/crisis.ts";
import { readDurations, recordDurations } from "../shutdown/durations_file.ts";
import { buildPlan, formatPlan } from "../shutdown/plan.ts";
import { runStep } from "../shutdown/sequence_step.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { parseCommandArgs } from "./args.ts";
import { loadForCommand } from "./config.ts";
import type { Command } from "./context.ts";

function searchPath(): { searchPath?: string } {
  try {
    const path = Deno.env.get("PATH");
    return path ? { searchPath: path } : {};
  } catch {
    return {}; // without --allow-env=PATH: the default search path
  }
}

/** The `rehearse` subcommand. */
export const rehearseCommand: Command = {
  summary:
    "run the shutdown sequence in dry-run (read-only queries) and print what it found",
  usage: `Usage: ups-monitor rehearse [--config PATH] [--log-format text|json]

Runs every enabled step of the shutdown sequence in dry-run against the live
system: read-only queries run (which VMs and containers run now, which mounts
exist), every action is only logged. Prints what each step found and how long
it took, records those durations in paths.durations as dry runs (shown by
ups-monitor plan, never counted as the time the plan needs: a dry run does not
wait for a VM to stop), then prints the plan. Writes no crisis flag and sends
no notification. Exit 0, or 2 on a config error.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
    });
    const { config } = await loadForCommand(context, values["config"]);
    const { logger } = context;
    const options = {
      config,
      runner: createRunner({ logger, dryRun: true }),
      notifier: new LogNotifier(logger),
      logger,
      clock: systemClock,
      bootId: UNKNOWN_BOOT_ID,
      // As the readiness checks: the programs on this PATH.
      ...searchPath(),
    };
    const lines = ["Rehearsal (dry-run: read-only queries, actions logged):"];
    const results = [];
    for (const step of buildPlan(config).steps) {
      if (!step.enabled) continue;
      const result = await runStep(options, step);
      results.push(result);
      lines.push(
        `  ${step.title}: ${result.status} in ${
          (result.durationMs / 1000).toFixed(1)
        } s (${result.summary})`,
        ...result.details.map((detail) => `      ${detail}`),
      );
    }
    await recordDurations(
      config.paths.durations,
      results,
      true,
      systemClock.now(),
      logger,
    );
    const durations = await readDurations(config.paths.durations, logger);
    context.stdout.write(
      lines.join("\n") + "\n\n" + formatPlan(buildPlan(config, { durations })),
    );
    return 0;
  },
};
