/**
 * `ups-monitor check`: validates the config, the permissions and commands it
 * needs, prints the effective config with defaults filled in and secrets
 * masked, and with `--remote` proves SSH and sudo for each remote.
 *
 * @module
 */
import { stringify } from "../config/yaml.ts";
import {
  ConfigError,
  DEFAULT_CONFIG_PATH,
  issueAt,
  loadedForUps,
} from "../config/load.ts";
import { effectiveConfig } from "../config/schema.ts";
import { loadForCommand } from "./config.ts";
import {
  missingDependencies,
  stepPermissionNeeds,
} from "../shutdown/dependencies.ts";
import { checkRemotes } from "../shutdown/remote_check.ts";
import { probePowerCycle } from "../shutdown/power_cycle_nut.ts";
import { probeUpsd } from "../nut/configured.ts";
import { systemClock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import { missingPermissions, permissionNeeds } from "../system/permissions.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

/** The `check` subcommand. */
export const checkCommand: Command = {
  summary:
    "validate the config and print the effective config (secrets masked)",
  usage:
    `Usage: ups-monitor check [--config PATH] [--remote] [--log-format text|json]

Validates the config file, checks that this program holds every permission the
config needs (paths, hosts, commands) and that every command an enabled step
runs is installed, and prints the effective config: every setting with its
default filled in, durations as text, secrets masked. Exit 0 when all is well,
2 with every problem listed as FILE:LINE:COL: key: message.

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  --remote        also read the UPS once from upsd (TLS as configured); with
                  the power cycle on, check that the UPS offers its command
                  (LIST CMD) and what upsd proves about its user without
                  acting; connect to each remote and prove, without running
                  it, that its configured command is allowed (sudo -n -l);
                  exit 1 when one of these fails
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
      remote: { type: "boolean" },
    });
    const loaded = await loadForCommand(context, values["config"], {
      checkKeyFiles: true,
    });
    const { config, path } = loaded;
    const missing = await missingPermissions(
      permissionNeeds(config, path, { steps: stepPermissionNeeds(config) }),
    );
    const searchPath = Deno.env.get("PATH");
    const absent = await missingDependencies(
      config,
      searchPath ? { searchPath } : {},
    );
    if (missing.length > 0 || absent.length > 0) {
      throw new ConfigError([
        ...missing.map((need) =>
          issueAt(
            loaded,
            need.key,
            `${need.what} is not granted to this program`,
          )
        ),
        ...absent.map((dependency) =>
          issueAt(loaded, dependency.key, dependency.issue)
        ),
      ]);
    }
    context.stdout.write(
      `# Effective config of ${path}: defaults filled in, secrets masked\n` +
        stringify(effectiveConfig(config), { lineWidth: 0 }),
    );
    context.logger.info("config.valid", "Config is valid", { path });
    if (!values["remote"]) return 0;
    let upsdOk = true;
    for (const index of config.upses.keys()) {
      const view = loadedForUps(loaded, index);
      const name = view.config.ups.name;
      const upsd = await probeUpsd(view, { clock: systemClock });
      upsdOk &&= upsd.ok;
      context.logger[upsd.ok ? "info" : "error"]("check.upsd", upsd.message, {
        ups: name,
      });
      context.stdout.write(
        `ups ${name}: ${upsd.ok ? "ok" : "FAILED"}: ${upsd.message}\n`,
      );
    }
    let cycleOk = true;
    if (config.shutdown.power_cycle.enabled) {
      for (
        const line of await probePowerCycle(loaded, { clock: systemClock })
      ) {
        cycleOk &&= line.outcome !== "FAILED";
        context.logger[line.outcome === "FAILED" ? "error" : "info"](
          "check.power_cycle",
          `${line.subject}: ${line.message}`,
          { ups: config.ups.name },
        );
        context.stdout.write(
          `power cycle ${line.subject}: ${line.outcome}: ${line.message}\n`,
        );
      }
    }
    const runner = createRunner({ logger: context.logger, dryRun: false });
    const results = await checkRemotes(config, {
      runner,
      logger: context.logger,
    });
    for (const result of results) {
      context.stdout.write(
        `remote ${result.remote}: ${
          result.ok ? "ok" : "FAILED"
        }: ${result.message}\n`,
      );
    }
    if (results.length === 0) {
      context.stdout.write("No remote machines are configured\n");
    }
    return upsdOk && cycleOk && results.every((result) => result.ok) ? 0 : 1;
  },
};
