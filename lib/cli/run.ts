/**
 * `ups-monitor run` (the default): validates the config and the permissions
 * it needs, then runs the daemon until SIGTERM or SIGINT. SIGHUP reopens the
 * log file. The V8 inspector port is held, so SIGUSR1 cannot open it.
 *
 * @module
 */
import {
  ConfigError,
  DEFAULT_CONFIG_PATH,
  issueAt,
  loadConfig,
  type LoadedConfig,
} from "../config/load.ts";
import { runDaemon } from "../daemon.ts";
import { applyConfigLogging } from "./config.ts";
import { stepPermissionNeeds } from "../shutdown/dependencies.ts";
import { systemClock } from "../system/clock.ts";
import { realHost } from "../system/host.ts";
import { guardInspectorPort } from "../system/inspector_guard.ts";
import { missingPermissions, permissionNeeds } from "../system/permissions.ts";
import { parseCommandArgs } from "./args.ts";
import type { Command } from "./context.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** The `run` subcommand. */
export const runCommand: Command = {
  summary: "watch the UPS and shut down when the power cannot be trusted",
  usage:
    `Usage: ups-monitor [run] [--config PATH] [--dry-run] [--log-format text|json]

Polls the UPS through upsd every ups.check_interval, reports power events, and
runs the shutdown sequence once a trigger fires. Checks at start that every
path, host and command the config names is permitted (exit 2 otherwise).
SIGTERM or SIGINT stop it cleanly (a running shutdown sequence is finished
first); SIGHUP reopens the log file and reloads the config (a config that fails
validation or the permission check is rejected and the old one stays).

Options:
  --config PATH   config file (default ${DEFAULT_CONFIG_PATH})
  --dry-run       rehearse: run queries, only log actions (also shutdown.dry_run)
  -h, --help      show this help`,
  async run(context) {
    const { values } = parseCommandArgs(context.args, {
      config: { type: "string" },
      "dry-run": { type: "boolean" },
    });
    const path = String(values["config"] ?? DEFAULT_CONFIG_PATH);
    const { logger } = context;
    const load = async () => {
      const loaded = await loadConfig(path, { checkKeyFiles: true });
      const missing = await missingPermissions(
        permissionNeeds(loaded.config, path, {
          steps: stepPermissionNeeds(loaded.config),
        }),
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
      return loaded;
    };
    const applyLogging = (loaded: LoadedConfig) => {
      applyConfigLogging(context, loaded);
      // A log file that cannot be opened must not keep the monitor from
      // running: the logger reports it once and tries again later.
      logger.openFile(loaded.config.logging.file);
    };
    const loaded = await load();
    applyLogging(loaded);
    const stop = new AbortController();
    const hangups = Object.assign(new EventTarget(), { pending: false });
    const onStop = () => stop.abort();
    const onHangup = () => {
      if (logger.reopenFile()) {
        logger.info(
          "log.reopened",
          "SIGHUP: log file reopened, reloading the config",
        );
      } else {
        logger.info(
          "config.reloading",
          "SIGHUP: reloading the config, the log file is still unusable",
        );
      }
      hangups.pending = true;
      hangups.dispatchEvent(new Event("hangup"));
    };
    for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onStop);
    Deno.addSignalListener("SIGHUP", onHangup);
    await using _inspector = guardInspectorPort({
      logger,
      clock: systemClock,
    });
    try {
      return await runDaemon({
        loaded,
        dryRunFlag: Boolean(values["dry-run"]),
        logger,
        clock: systemClock,
        host: realHost,
        signal: stop.signal,
        fetch,
        hangups,
        reload: load,
        applyLogging,
      });
    } finally {
      for (const signal of STOP_SIGNALS) {
        Deno.removeSignalListener(signal, onStop);
      }
      Deno.removeSignalListener("SIGHUP", onHangup);
    }
  },
};
