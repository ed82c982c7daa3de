/**
 * `ups-monitor check`: validates the config and prints the effective config
 * with defaults filled in and secrets masked.
 *
 * @module
 */
import { stringify } from "yaml";
import {
  ConfigError,
  DEFAULT_CONFIG_PATH,
  issueAt,
  loadConfig,
} from "../config/load.ts";
import { missingPermissions, permissionNeeds } from "../system/permissions.ts";
import { effectiveConfig, secretsOf } from "../config/schema.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";
import { UsageError } from "./context.ts";

/** The `check` subcommand. */
export const checkCommand: Command = {
  summary:
    "validate the config and print the effective config (secrets masked)",
  usage:
    `Usage: ups-monitor check [--config PATH] [--remote] [--log-format text|json]

Validates the config file, checks that this program holds every permission the
config needs (paths, hosts, commands), and prints the effective config: every
setting with its default filled in, durations as text, secrets masked. Exit 0 when the
config is valid, 2 with every problem listed as FILE:LINE:COL: key: message.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  --remote        also prove SSH and sudo for each remote (not yet available)
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
      remote: { type: "boolean" },
    });
    if (values["remote"]) {
      throw new UsageError(
        "check --remote is not available yet: it comes with the shutdown sequence (issue 5)",
      );
    }
    const path = String(values["config"] ?? DEFAULT_CONFIG_PATH);
    const loaded = await loadConfig(path);
    context.logger.configure({
      format: context.logFormatFlag ?? loaded.config.logging.format,
      level: loaded.config.logging.level,
    });
    context.logger.addSecrets(secretsOf(loaded.config));
    const missing = await missingPermissions(
      permissionNeeds(loaded.config, path),
    );
    if (missing.length > 0) {
      throw new ConfigError(
        missing.map((need) =>
          issueAt(
            loaded,
            need.key,
            `${need.what} is not granted to this program`,
          )
        ),
      );
    }
    if (loaded.nutPassword) context.logger.addSecrets([loaded.nutPassword]);
    context.stdout.write(
      `# Effective config of ${path}: defaults filled in, secrets masked\n` +
        stringify(effectiveConfig(loaded.config), { lineWidth: 0 }),
    );
    context.logger.info("config.valid", "Config is valid", { path });
    return 0;
  },
};
