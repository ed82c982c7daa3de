/**
 * `ups-monitor migrate FILE`: the old script's settings as a YAML config on
 * stdout, notes on stderr.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { migrateScript } from "../config/migrate.ts";
import { FileError, READ_LIMITS, readTextBounded } from "../system/files.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";

/** The `migrate` subcommand. */
export const migrateCommand: Command = {
  summary: "convert the Python (3.0) or Bash (2.0) script's settings to YAML",
  usage: `Usage: ups-monitor migrate FILE

Reads the Config class of the Python "UPS Monitor 3.0" script, or the VAR=value
lines of the Bash 2.0 script, and prints the equivalent YAML config on stdout.
Notes (unknown settings, rewritten commands, next steps) go to stderr and into
the YAML as comments. Typical use:
  ups-monitor migrate /opt/ups-monitor/ups-monitor.py > /etc/ups-monitor/config.yaml
  ups-monitor check`,
  async run(context) {
    const { positionals } = parseCommandArgs(context.args, {}, 1);
    const file = positionals[0];
    if (file === undefined) {
      throw new UsageError("migrate needs the path of the old script");
    }
    let text: string;
    try {
      text = await readTextBounded(file, READ_LIMITS.config);
    } catch (error) {
      const why = error instanceof FileError
        ? error.detail
        : errorMessage(error);
      throw new UsageError(`Cannot read "${file}": ${why}`, { cause: error });
    }
    const migration = migrateScript(text, file);
    if (migration.converted === 0) {
      throw new UsageError(
        `Cannot migrate "${file}": it has no settings of the old script`,
      );
    }
    context.stdout.write(migration.yaml);
    for (const note of migration.notes) context.stderr.write(`note: ${note}\n`);
    return 0;
  },
};
