/**
 * `ups-monitor plan`: prints the shutdown sequence in order, each step with
 * its worst-case duration, skipped steps marked, the total, and a warning
 * when the total exceeds the critical runtime.
 *
 * @module
 */
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { loadForCommand } from "./config.ts";
import { buildPlan, formatPlan } from "../shutdown/plan.ts";
import { parseCommandArgs } from "./args.ts";
import { readDurations } from "../shutdown/durations_file.ts";
import type { Command } from "./context.ts";

/** The `plan` subcommand. */
export const planCommand: Command = {
  summary:
    "print the shutdown sequence in order with worst-case and learned times",
  usage: `Usage: ups-monitor plan [--config PATH] [--log-format text|json]

Prints the steps of the shutdown sequence in the order they run (VMs,
containers, sync, unmounts, remote machines, custom steps, this host), each
with its worst-case duration and, once sequences have run, its learned
duration (p90 of the measured runs in paths.durations), skipped steps marked,
the total, and the time needed (learned where measured, else the worst case)
that the budget trigger weighs against the time left on the battery. Warns
when the total exceeds triggers.critical_runtime: the sequence might not
finish on the battery it starts with. Runs nothing. Exit 0, or 2 on a config
error. See also ups-monitor rehearse.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
    });
    const loaded = await loadForCommand(context, values["config"]);
    const path = loaded.path;
    const durations = await readDurations(
      loaded.config.paths.durations,
      context.logger,
    );
    const plan = buildPlan(loaded.config, { durations });
    context.stdout.write(formatPlan(plan));
    for (const warning of plan.warnings) {
      context.logger.warning("plan.warning", warning, { path });
    }
    return 0;
  },
};
