/**
 * `ups-monitor reset`: clears the crisis flag and the progress it records,
 * so the monitor re-arms. Refuses while a live daemon runs a sequence.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { loadForCommand } from "./config.ts";
import { clearCrisisFlag, crisisState } from "../shutdown/crisis.ts";
import { livePid } from "../shutdown/pid_file.ts";
import { createRunner } from "../system/exec.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

/** The `reset` subcommand. */
export const resetCommand: Command = {
  summary: "clear the crisis flag",
  usage: `Usage: ups-monitor reset [--config PATH] [--log-format text|json]

Removes the crisis flag (paths.flag) with the progress of the last shutdown
sequence, so the monitor re-arms, as removing the file by hand does. Refuses
while a live daemon (paths.pid) is running a sequence. Exit 0 when the flag is
gone, 1 when refused or the file cannot be removed, 2 on a config error.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
    });
    const { config } = await loadForCommand(context, values["config"]);
    const flagPath = config.paths.flag;
    const state = await crisisState(flagPath);
    if (state.state === "armed") {
      context.stdout.write(`No crisis flag at "${flagPath}": already armed\n`);
      return 0;
    }
    if (state.state === "running" || state.state === "aborting") {
      const runner = createRunner({ logger: context.logger, dryRun: false });
      const pid = await livePid(config.paths.pid, runner);
      if (pid !== null) {
        context.stderr.write(
          `Cannot reset: the daemon with pid "${pid}" is running a shutdown sequence${
            state.state === "aborting" ? "'s rollback" : ""
          } (flag "${flagPath}")\n`,
        );
        return 1;
      }
    }
    try {
      await clearCrisisFlag(flagPath);
    } catch (error) {
      context.stderr.write(
        `Cannot reset: cannot remove "${flagPath}": ${errorMessage(error)}\n`,
      );
      return 1;
    }
    const what = state.state === "invalid"
      ? "an unreadable flag"
      : `a ${
        state.flag.dryRun ? "dry-run " : ""
      }sequence that is ${state.state}`;
    context.logger.info("shutdown.reset", `Crisis flag cleared (${what})`, {
      flag: flagPath,
    });
    context.stdout.write(`Crisis flag "${flagPath}" cleared (${what})\n`);
    return 0;
  },
};
