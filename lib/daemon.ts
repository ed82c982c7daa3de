/**
 * The daemon of `ups-monitor run`: builds the real collaborators (runner, NUT
 * client, notifier, monitor), resumes an interrupted sequence, polls until
 * SIGTERM or SIGINT, hands a decision to the shutdown sequence once, and
 * stops cleanly ("monitor stopped", notification queue flushed within a
 * bound). A running sequence is never aborted by a signal.
 *
 * @module
 */
import type { LoadedConfig } from "./config/load.ts";
import { parseUpsAddress } from "./config/ups_address.ts";
import { Monitor } from "./monitor.ts";
import { NutClient } from "./nut/client.ts";
import { ChannelNotifier } from "./notify/dispatch.ts";
import { notificationOf } from "./notify/from_event.ts";
import type { Notifier } from "./notify/notification.ts";
import { LogNotifier } from "./notify/notifier.ts";
import type { Decision } from "./power/state.ts";
import { clearCrisisFlag, crisisState, readBootId } from "./shutdown/crisis.ts";
import { missingDependencies } from "./shutdown/dependencies.ts";
import { acquirePidFile } from "./shutdown/pid_file.ts";
import {
  resumeIfPending,
  runSequence,
  type SequenceOptions,
} from "./shutdown/sequence.ts";
import { checkKnownHosts } from "./shutdown/ssh.ts";
import type { Clock } from "./system/clock.ts";
import { createRunner, type Runner } from "./system/exec.ts";
import type { Logger } from "./system/log.ts";
import { VERSION } from "./version.ts";

/** How long "monitor stopped" and queued notifications may delay the exit. */
export const STOP_FLUSH_MS = 5000;

/** What the daemon needs from outside. */
export interface DaemonOptions {
  loaded: LoadedConfig;
  /** `--dry-run` or `shutdown.dry_run`. */
  dryRun: boolean;
  logger: Logger;
  clock: Clock;
  /** Aborts when SIGTERM or SIGINT arrives: the loop stops, a sequence does not. */
  signal: AbortSignal;
  /** The HTTP client for notifications. */
  fetch: typeof globalThis.fetch;
  /** Builds the runner; tests may wrap it. @default createRunner */
  makeRunner?: (logger: Logger, dryRun: boolean) => Runner;
}

/**
 * Runs the daemon until `signal` aborts and any running sequence has ended.
 *
 * @param options Config and collaborators.
 * @returns 0 after a clean stop.
 * @throws {PidFileError} When another daemon holds the pid file.
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { loaded, logger, clock, dryRun } = options;
  const { config } = loaded;
  const ups = config.ups.name;
  const address = parseUpsAddress(ups);
  if (!address.ok) throw new TypeError(address.message);
  const runner =
    (options.makeRunner ?? ((l, d) => createRunner({ logger: l, dryRun: d })))(
      logger,
      dryRun,
    );
  const bootId = await readBootId(runner);
  await using _pid = await acquirePidFile(config.paths.pid, {
    pid: Deno.pid,
    runner,
  });
  const notifier: Notifier & { close?(): Promise<void> } =
    config.notifications.channels.length > 0
      ? new ChannelNotifier({ config, fetch: options.fetch, clock, logger })
      : new LogNotifier(logger);
  const tell = (
    name: string,
    tone: "info" | "warning" | "critical",
    message: string,
    fields = {},
  ) => {
    notifier.notify(
      notificationOf({ name, tone, message, fields }, ups, clock.now()),
    );
  };
  const caCerts = config.ups.ca_file
    ? [await Deno.readTextFile(config.ups.ca_file)]
    : undefined;
  await using client = new NutClient({
    address: address.value,
    ...(config.ups.username ? { username: config.ups.username } : {}),
    ...(loaded.nutPassword ? { password: loaded.nutPassword } : {}),
    tls: config.ups.tls,
    ...(caCerts ? { caCerts } : {}),
    connectTimeoutMs: config.ups.connect_timeout,
    replyTimeoutMs: config.ups.reply_timeout,
    clock,
    logger,
  });

  const startedMessage =
    `ups-monitor ${VERSION} watching "${ups}"${dryRun ? " in dry-run" : ""}: ` +
    `shutdown below ${config.triggers.low_battery}% charge or ${
      config.triggers.critical_runtime / 1000
    }s runtime`;
  logger.info("monitor.started", startedMessage, {
    version: VERSION,
    ups,
    "dry_run": dryRun,
  });
  tell("monitor.started", "info", startedMessage, {
    version: VERSION,
    "low_battery": `${config.triggers.low_battery}%`,
    "critical_runtime": `${config.triggers.critical_runtime / 1000}s`,
    "extended_time": config.triggers.extended_time.enabled
      ? `${config.triggers.extended_time.after / 1000}s`
      : "off",
  });
  await warnAboutSetup(options, runner, tell);

  const sequenceOptions: SequenceOptions = {
    config,
    runner,
    notifier,
    logger,
    clock,
    bootId,
    beforeLocal: async () => {
      // Like an upsmon secondary: leaving upsd lets a NUT primary stop waiting for us.
      if (config.ups.username) {
        await client.logout().catch(() => {/* the link may be gone already */});
      }
    },
  };
  let sequence: Promise<unknown> | null = null;
  const start = (run: () => Promise<unknown>) => {
    sequence = run().catch((error: unknown) => {
      logger.error(
        "shutdown.failed",
        `The shutdown sequence failed: ${(error as Error).message}`,
      );
    });
  };
  const resumed = await resumeIfPending(sequenceOptions).catch(
    (error: unknown) => {
      logger.error("shutdown.resume_failed", (error as Error).message);
      return { action: "none" as const };
    },
  );
  if (resumed.action === "resumed") {
    logger.info("shutdown.resumed_done", "The resumed sequence has ended");
  }

  if (config.ups.username) {
    await client.connect().then(() => client.login()).catch(
      (error: unknown) => {
        logger.error("nut.login_failed", (error as Error).message, {
          user: config.ups.username,
        });
        tell("nut.login_failed", "warning", (error as Error).message);
      },
    );
  }
  const monitor = new Monitor({
    config,
    client,
    notifier,
    logger,
    clock,
    bootId,
    uptimeMs: Deno.osUptime() * 1000,
    onRearmed() {
      // The power core re-armed after rearm_after on line power: crisis mode is over.
      void clearCrisisFlag(config.paths.flag).catch((error: unknown) => {
        logger.warning("shutdown.flag_clear_failed", (error as Error).message);
      });
    },
    onDecision(decision: Decision) {
      if (sequence) return;
      start(() =>
        runSequence({
          ...sequenceOptions,
          reason: {
            trigger: decision.trigger,
            message: decision.reason,
            fields: { ...decision.numbers },
          },
        }).finally(() => {
          sequence = null;
        })
      );
    },
  });
  await monitor.restore();
  const rearmCheck = setInterval(() => {
    // A flag removed by hand (the seed's way out of crisis mode) re-arms once no sequence runs.
    if (sequence || monitor.state.armed) return;
    crisisState(config.paths.flag).then((found) => {
      if (found.state !== "armed" || sequence || monitor.state.armed) return;
      monitor.rearm();
      logger.info(
        "shutdown.rearmed",
        "Crisis flag removed by hand: shutdown triggers re-armed",
        {
          flag: config.paths.flag,
        },
      );
    }).catch(
      () => {
        /* an unreadable flag is reported by resumeIfPending at the next start */
      },
    );
  }, Math.max(1000, config.ups.check_interval));
  try {
    await monitor.run(options.signal);
  } finally {
    clearInterval(rearmCheck);
  }
  if (sequence) {
    logger.warning(
      "monitor.stopping",
      "Stop requested during a shutdown sequence: the sequence goes on",
    );
    await sequence;
  }
  logger.info("monitor.stopped", "Monitor stopped");
  tell("monitor.stopped", "info", `ups-monitor stopped watching "${ups}"`);
  await notifier.flush(STOP_FLUSH_MS);
  await notifier.close?.();
  await runner.killAll();
  return 0;
}

/** Loud warnings at start: missing commands and remotes without a known host key. */
async function warnAboutSetup(
  options: DaemonOptions,
  runner: Runner,
  tell: (
    name: string,
    tone: "warning",
    message: string,
    fields?: Record<string, string>,
  ) => void,
): Promise<void> {
  const { config } = options.loaded;
  const searchPath = Deno.env.get("PATH");
  for (
    const missing of await missingDependencies(
      config,
      searchPath ? { searchPath } : {},
    )
  ) {
    options.logger.warning("dependency.missing", missing.message, {
      key: missing.key,
    });
    tell("dependency.missing", "warning", missing.message);
  }
  const warnings = await checkKnownHosts(config, {
    runner,
    logger: options.logger,
  }).catch(() => []);
  for (const warning of warnings) {
    const text = warning.fix
      ? `${warning.message}; add it with: ${warning.fix}`
      : warning.message;
    options.logger.warning("remote.no_host_key", text, {
      remote: warning.remote,
    });
    tell("remote.no_host_key", "warning", text);
  }
}
