/**
 * The daemon of `ups-monitor run`: builds the real collaborators (runner, NUT
 * client, notifier, monitor), resumes an interrupted sequence, polls until
 * SIGTERM or SIGINT, hands a decision to the shutdown sequence once, and
 * stops cleanly ("monitor stopped", notification queue flushed within a
 * bound). A running sequence is never aborted by a signal. SIGHUP reloads the
 * config between sessions: the outage goes on through the history file.
 *
 * @module
 */
import { ConfigError, type LoadedConfig } from "./config/load.ts";
import { Monitor } from "./monitor.ts";
import { clientForConfig } from "./nut/configured.ts";
import { NutConnectionError } from "./nut/errors.ts";
import { ChannelNotifier } from "./notify/dispatch.ts";
import { notificationOf } from "./notify/from_event.ts";
import type { Notifier } from "./notify/notification.ts";
import { LogNotifier } from "./notify/notifier.ts";
import type { Decision } from "./power/state.ts";
import {
  clearCrisisFlag,
  crisisState,
  readBootId,
  UNKNOWN_BOOT_ID,
} from "./shutdown/crisis.ts";
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
  /** `--dry-run`: a rehearsal whatever the config says. */
  dryRunFlag: boolean;
  logger: Logger;
  clock: Clock;
  /** Aborts when SIGTERM or SIGINT arrives: the loop stops, a sequence does not. */
  signal: AbortSignal;
  /** The HTTP client for notifications. */
  fetch: typeof globalThis.fetch;
  /**
   * Fires a "hangup" event on SIGHUP; `pending` latches one that came while
   * no session listened (start-up, between sessions).
   */
  hangups: EventTarget & { pending: boolean };
  /**
   * Loads and checks the config again (validation and permission self-check).
   *
   * @throws {ConfigError} When the new config is rejected.
   */
  reload(): Promise<LoadedConfig>;
  /** Applies logging settings of a newly loaded config. */
  applyLogging(loaded: LoadedConfig): void;
}

type Tell = (
  name: string,
  tone: "info" | "warning" | "critical",
  message: string,
  fields?: Record<string, string>,
) => void;

/**
 * Runs the daemon until `signal` aborts and any running sequence has ended.
 *
 * @param options Config and collaborators.
 * @returns 0 after a clean stop.
 * @throws {PidFileError} When another daemon holds the pid file.
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { logger } = options;
  let loaded = options.loaded;
  const probe = createRunner({ logger, dryRun: false });
  const bootId = await readBootId(probe).catch((error: unknown) => {
    logger.warning(
      "boot_id.unknown",
      `${(error as Error).message}: nothing will be resumed after a restart`,
    );
    return UNKNOWN_BOOT_ID;
  });
  await using _pid = await acquirePidFile(loaded.config.paths.pid, {
    pid: Deno.pid,
    runner: probe,
  });
  for (let first = true;; first = false) {
    const next = await runSession(options, loaded, bootId, first);
    if (next === null) return 0;
    loaded = next;
  }
}

/**
 * One session with one config: until SIGTERM (returns null) or an accepted
 * reload (returns the new config).
 */
async function runSession(
  options: DaemonOptions,
  loaded: LoadedConfig,
  bootId: string,
  first: boolean,
): Promise<LoadedConfig | null> {
  const { logger, clock } = options;
  const { config } = loaded;
  const ups = config.ups.name;
  const dryRun = options.dryRunFlag || config.shutdown.dry_run;
  const runner = createRunner({ logger, dryRun });
  const notifier: Notifier & { close?(): Promise<void> } =
    config.notifications.channels.length > 0
      ? new ChannelNotifier({ config, fetch: options.fetch, clock, logger })
      : new LogNotifier(logger);
  const tell: Tell = (name, tone, message, fields = {}) => {
    notifier.notify(
      notificationOf({ name, tone, message, fields }, ups, clock.now()),
    );
  };
  await using client = clientForConfig(loaded, { clock, logger, login: true });
  if (first) {
    const message =
      `ups-monitor ${VERSION} watching "${ups}"${
        dryRun ? " in dry-run" : ""
      }: ` +
      `shutdown below ${config.triggers.low_battery}% charge or ${
        config.triggers.critical_runtime / 1000
      }s runtime`;
    logger.info("monitor.started", message, {
      version: VERSION,
      ups,
      "dry_run": dryRun,
    });
    tell("monitor.started", "info", message, {
      version: VERSION,
      "low_battery": `${config.triggers.low_battery}%`,
      "critical_runtime": `${config.triggers.critical_runtime / 1000}s`,
      "extended_time": config.triggers.extended_time.enabled
        ? `${config.triggers.extended_time.after / 1000}s`
        : "off",
    });
  } else {
    logger.info("config.reloaded", `Config reloaded from "${loaded.path}"`, {
      ups,
      "dry_run": dryRun,
    });
  }
  await warnAboutSetup(loaded, runner, logger, tell);

  const sequenceOptions: SequenceOptions = {
    config,
    runner,
    notifier,
    logger,
    clock,
    bootId,
    beforeLocal: async () => {
      // Like an upsmon secondary: leaving upsd lets a NUT primary stop waiting
      // for us. Bounded: a link that is reconnecting must not delay the power-off.
      if (!config.ups.username) return;
      const stop = new AbortController();
      await Promise.race([
        client.logout().catch(() => {/* the link may be gone already */}),
        clock.sleep(config.ups.reply_timeout, stop.signal).catch(
          () => {/* logout won */},
        ),
      ]);
      stop.abort();
    },
  };
  let sequence: Promise<unknown> | null = null;
  if (first) {
    const resumed = await resumeIfPending(sequenceOptions).catch(
      (error: unknown) => {
        logger.error("shutdown.resume_failed", (error as Error).message);
        return { action: "none" as const };
      },
    );
    if (resumed.action === "resumed") {
      logger.info("shutdown.resumed_done", "The resumed sequence has ended");
    }
  }
  // LOGIN like an upsmon secondary. If upsd cannot be reached now, log in
  // after the first poll that reaches it; a refusal (ACCESS-DENIED) is final.
  let loginPending = config.ups.username !== null;
  const login = async () => {
    try {
      await client.login();
      loginPending = false;
      logger.info(
        "nut.logged_in",
        `Logged in to "${ups}" as "${config.ups.username}"`,
      );
    } catch (error) {
      if (error instanceof NutConnectionError) return;
      loginPending = false;
      logger.error("nut.login_failed", (error as Error).message, {
        user: config.ups.username,
      });
      tell("nut.login_failed", "warning", (error as Error).message);
    }
  };
  if (loginPending) {
    await client.connect().then(login, () => {/* retried after a poll */});
  }
  const polling = {
    async poll(names: readonly string[]) {
      const vars = await client.poll(names);
      if (loginPending) await login();
      return vars;
    },
  };
  const monitor = new Monitor({
    config,
    client: polling,
    notifier,
    logger,
    clock,
    bootId,
    uptimeMs: Deno.osUptime() * 1000,
    onRearmed() {
      notifier.leaveCrisis?.();
      // The power core re-armed after rearm_after on line power: crisis mode is over.
      void clearCrisisFlag(config.paths.flag).catch((error: unknown) => {
        logger.warning("shutdown.flag_clear_failed", (error as Error).message);
      });
    },
    onDecision(decision: Decision) {
      if (sequence) return;
      sequence = runSequence({
        ...sequenceOptions,
        reason: {
          trigger: decision.trigger,
          message: decision.reason,
          fields: { ...decision.numbers },
        },
      }).catch((error: unknown) => {
        logger.error(
          "shutdown.failed",
          `The shutdown sequence failed: ${(error as Error).message}`,
        );
      }).finally(() => {
        sequence = null;
        if (pendingReload) void tryReload();
      });
    },
  });
  await monitor.restore();
  const crisis = await crisisState(config.paths.flag).catch(() => null);
  // One sequence per outage: a restart or a reload must not run it again.
  // A rehearsal's flag does not hold back a daemon that is not rehearsing.
  if (
    crisis?.state === "done" && crisis.flag.bootId === bootId &&
    (dryRun || !crisis.flag.dryRun)
  ) {
    monitor.disarm();
    logger.warning(
      "shutdown.crisis_mode",
      "A shutdown sequence already ran in this boot: triggers re-arm after shutdown.rearm_after on line power, or when the flag is removed",
      { flag: config.paths.flag },
    );
  }

  // The session ends on SIGTERM, or when a reloaded config was accepted.
  const session = new AbortController();
  const onStop = () => session.abort();
  options.signal.addEventListener("abort", onStop, { once: true });
  if (options.signal.aborted) session.abort();
  let reloaded: LoadedConfig | null = null;
  let pendingReload = false;
  const tryReload = async () => {
    if (sequence) {
      pendingReload = true;
      logger.info(
        "config.reload_deferred",
        "SIGHUP during a shutdown sequence: the reload waits until it is over",
      );
      return;
    }
    pendingReload = false;
    try {
      reloaded = await options.reload();
      options.applyLogging(reloaded);
      session.abort();
    } catch (error) {
      const issues = error instanceof ConfigError ? error.issues : undefined;
      logger.error(
        "config.reload_rejected",
        `New config rejected, the old one stays: ${(error as Error).message}`,
        {
          ...(issues ? { issues } : {}),
        },
      );
    }
  };
  const onHangup = () => {
    options.hangups.pending = false;
    void tryReload();
  };
  options.hangups.addEventListener("hangup", onHangup);
  if (options.hangups.pending) onHangup();
  let flagSeen = false;
  const rearmCheck = setInterval(() => {
    // A flag removed by hand (the seed's way out of crisis mode) re-arms once no sequence runs.
    // Only a flag this session saw counts as removed: if writing it failed,
    // its absence must not re-run the sequence in the same outage.
    if (sequence || monitor.state.armed) return;
    crisisState(config.paths.flag).then((found) => {
      if (found.state !== "armed") {
        flagSeen = true;
        return;
      }
      if (!flagSeen || sequence || monitor.state.armed) return;
      flagSeen = false;
      monitor.rearm();
      notifier.leaveCrisis?.();
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
    await monitor.run(session.signal);
  } finally {
    clearInterval(rearmCheck);
    options.hangups.removeEventListener("hangup", onHangup);
    options.signal.removeEventListener("abort", onStop);
  }
  if (sequence) {
    logger.warning(
      "monitor.stopping",
      "Stop requested during a shutdown sequence: the sequence goes on",
    );
    await sequence;
  }
  const stopping = reloaded === null || options.signal.aborted;
  if (stopping) {
    logger.info("monitor.stopped", "Monitor stopped");
    tell("monitor.stopped", "info", `ups-monitor stopped watching "${ups}"`);
  }
  await notifier.flush(STOP_FLUSH_MS);
  await notifier.close?.();
  await runner.killAll();
  return stopping ? null : reloaded;
}

/** Loud warnings at start: missing commands and remotes without a known host key. */
async function warnAboutSetup(
  loaded: LoadedConfig,
  runner: Runner,
  logger: Logger,
  tell: Tell,
): Promise<void> {
  const { config } = loaded;
  const searchPath = Deno.env.get("PATH");
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
    () => [],
  );
  for (const warning of warnings) {
    const text = warning.fix
      ? `${warning.message}; add it with: ${warning.fix}`
      : warning.message;
    logger.warning("remote.no_host_key", text, { remote: warning.remote });
    tell("remote.no_host_key", "warning", text);
  }
}
