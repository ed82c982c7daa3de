/**
 * What a session says when it begins: "monitor started" with the thresholds
 * (or "config reloaded"), then loud warnings about the setup: programs the
 * enabled steps need that are missing, and remotes without a known host key.
 *
 * @module
 */
import type { LoadedConfig } from "../config/load.ts";
import { errorMessage } from "../errors.ts";
import type { Severity } from "../notify/notification.ts";
import { missingDependencies } from "../shutdown/dependencies.ts";
import { checkKnownHosts } from "../shutdown/ssh.ts";
import type { Runner } from "../system/exec.ts";
import type { Host } from "../system/host.ts";
import type { Logger } from "../system/log.ts";
import { VERSION } from "../version.ts";

/** Logs nothing: notifies one event (the caller logged it). */
export type Tell = (
  name: string,
  tone: Severity,
  message: string,
  fields?: Record<string, string>,
) => void;

/**
 * Announces a session: the first says "monitor started" (logged and
 * notified), a later one "config reloaded" (logged).
 *
 * @param loaded The session's config.
 * @param options `first` session or not, `dryRun`, the logger and `tell`.
 */
export function announceSession(
  loaded: LoadedConfig,
  options: { first: boolean; dryRun: boolean; logger: Logger; tell: Tell },
): void {
  const { config } = loaded;
  const { logger, dryRun } = options;
  const ups = config.upses.map((entry) => entry.name).join('", "');
  if (!options.first) {
    logger.info("config.reloaded", `Config reloaded from "${loaded.path}"`, {
      ups,
      "dry_run": dryRun,
    });
    return;
  }
  const { triggers } = config;
  const message = `ups-monitor ${VERSION} watching "${ups}"${
    dryRun ? " in dry-run" : ""
  }: shutdown below ${triggers.low_battery}% charge or ${
    triggers.critical_runtime / 1000
  }s runtime${suppliesText(config)}`;
  logger.info("monitor.started", message, {
    version: VERSION,
    ups,
    "dry_run": dryRun,
  });
  options.tell("monitor.started", "info", message, {
    version: VERSION,
    "low_battery": `${triggers.low_battery}%`,
    "critical_runtime": `${triggers.critical_runtime / 1000}s`,
    "extended_time": triggers.extended_time.enabled
      ? `${triggers.extended_time.after / 1000}s`
      : "off",
  });
}

/**
 * Loud warnings at start: missing commands and remotes without a known
 * host key, each logged and notified.
 *
 * @param loaded The session's config.
 * @param collaborators Runner, logger, `tell` and the host (for `PATH`).
 */
export async function warnAboutSetup(
  loaded: LoadedConfig,
  collaborators: { runner: Runner; logger: Logger; tell: Tell; host: Host },
): Promise<void> {
  const { config } = loaded;
  const { runner, logger, tell } = collaborators;
  const searchPath = collaborators.host.env("PATH");
  for (
    const missing of await missingDependencies(
      config,
      searchPath ? { searchPath } : {},
    )
  ) {
    logger.warning("dependency.missing", missing.message, { key: missing.key });
    tell("dependency.missing", "warning", missing.message);
  }
  const warnings = await checkKnownHosts(config, { runner, logger }).catch(
    (error: unknown) => {
      logger.debug("remote.host_key_check_failed", errorMessage(error));
      return [];
    },
  );
  for (const warning of warnings) {
    const text = warning.fix
      ? `${warning.message}; add it with: ${warning.fix}`
      : warning.message;
    logger.warning("remote.no_host_key", text, { remote: warning.remote });
    tell("remote.no_host_key", "warning", text);
  }
}

/** With several UPSes: how many supplies must stay fed, of how many. */
function suppliesText(config: LoadedConfig["config"]): string {
  if (config.upses.length === 1) return "";
  const total = config.upses.reduce((sum, ups) => sum + ups.supplies, 0);
  return `; ${config.power.min_supplies} of ${total} power supplies must stay fed by a safe UPS`;
}
