/**
 * Subcommands whose issues have not landed yet: they say so and exit 2, so a
 * script cannot mistake them for a success.
 *
 * @module
 */
import { DEFAULT_CONFIG_PATH } from "../config/load.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";

/**
 * A command that validates its arguments, then reports that it is not
 * available yet.
 *
 * @param name Subcommand name.
 * @param summary One line for the overview.
 * @param options The usage line, the options it will take and the issue that delivers it.
 * @returns The command.
 */
export function pendingCommand(
  name: string,
  summary: string,
  options: {
    usage: string;
    flags: Record<string, { type: "string" | "boolean" }>;
    issue: string;
  },
): Command {
  return {
    summary,
    usage: `Usage: ups-monitor ${options.usage}

${summary[0]?.toUpperCase()}${
      summary.slice(1)
    }. Not available yet: it comes with
${options.issue}.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  -h, --help      show this help`,
    run(context) {
      parseCommandArgs(context.args, options.flags, name === "migrate" ? 1 : 0);
      return Promise.reject(
        new UsageError(
          `"${name}" is not available yet: it comes with ${options.issue}`,
        ),
      );
    },
  };
}
