/**
 * The daemon of `ups-monitor run`: one crisis mode for its whole life, and
 * one session per config. A session builds the real collaborators (runner,
 * NUT client, notifier, monitor), hands power-core decisions and re-arms to
 * crisis mode, polls until SIGTERM or SIGINT (or an accepted reload) and
 * stops cleanly ("monitor stopped", notification queue flushed within a
 * bound). A running sequence is never aborted by a signal.
 *
 * @module
 */
import type { LoadedConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { announceSession, type Tell, warnAboutSetup } from "./daemon/banner.ts";
import { watchFlag } from "./daemon/flag_watcher.ts";
import { HttpEndpoint } from "./daemon/http.ts";
import { joinFor, monitorFor, pollsOf, prunePolls } from "./daemon/loops.ts";
import {
  type ReadinessMemory,
  runReadiness,
  sessionRound,
} from "./daemon/readiness.ts";
import { Reloader, type ReloadSource } from "./daemon/reload.ts";
import { UpsSet } from "./daemon/ups_set.ts";
import { SystemdNotifier } from "./daemon/systemd_notify.ts";
import { errorMessage } from "./errors.ts";
import { PollStats } from "./metrics/poll_stats.ts";
import { ChannelNotifier } from "./notify/dispatch.ts";
import { notificationOf } from "./notify/from_event.ts";
import type { Notifier } from "./notify/notification.ts";
import { LogNotifier } from "./notify/notifier.ts";
import { readBootId, UNKNOWN_BOOT_ID } from "./shutdown/crisis.ts";
import { CrisisController } from "./shutdown/crisis_controller.ts";
import { acquirePidFile } from "./shutdown/pid_file.ts";
import { buildPlan } from "./shutdown/plan.ts";
import { readDurations } from "./shutdown/durations_file.ts";
import {
  resumeIfPending,
  type SequenceOptions,
  sequenceShell,
} from "./shutdown/sequence.ts";
import type { Clock } from "./system/clock.ts";
import { createRunner } from "./system/exec.ts";
import type { Host } from "./system/host.ts";
import type { Logger } from "./system/log.ts";

/** How long "monitor stopped" and queued notifications may delay the exit. */
export const STOP_FLUSH_MS = 5000;

/** What the daemon needs from outside. */
export interface DaemonOptions extends ReloadSource {
  loaded: LoadedConfig;
  /** `--dry-run`: a rehearsal whatever the config says. */
  dryRunFlag: boolean;
  logger: Logger;
  clock: Clock;
  /** The pid, the uptime and the environment. */
  host: Host;
  /** Aborts when SIGTERM or SIGINT arrives: the loop stops, a sequence does not. */
  signal: AbortSignal;
  /** The HTTP client for notifications. */
  fetch: typeof globalThis.fetch;
}

/** What lives as long as the daemon. */
export interface DaemonLife {
  bootId: string;
  crisis: CrisisController;
  /** The last readiness round, kept across reloads. */
  readiness: ReadinessMemory;
  /** READY, WATCHDOG, STATUS and STOPPING for systemd (issue 18). */
  systemd: SystemdNotifier;
  /** Each UPS's poll counters for /metrics, by its name, kept across reloads. */
  polls: Map<string, PollStats>;
  /** The HTTP endpoint (`http.listen`), kept across reloads. */
  http: HttpEndpoint;
}

/**
 * Runs the daemon until `signal` aborts and any running sequence has ended.
 *
 * @param options Config and collaborators.
 * @returns 0 after a clean stop.
 * @throws {PidFileError} When another daemon holds the pid file.
 */
export async function runDaemon(options: DaemonOptions): Promise<number> {
  const { logger, clock } = options;
  let loaded = options.loaded;
  const probe = createRunner({ logger, dryRun: false });
  const bootId = await readBootId(probe).catch((error: unknown) => {
    logger.warning(
      "boot_id.unknown",
      `${errorMessage(error)}: nothing will be resumed after a restart`,
    );
    return UNKNOWN_BOOT_ID;
  });
  await using _pid = await acquirePidFile(loaded.config.paths.pid, {
    pid: options.host.pid,
    runner: probe,
  });
  using systemd = new SystemdNotifier({ host: options.host, clock, logger });
  // Each session attaches its own shell before anything happens.
  const crisis = new CrisisController(clock);
  const readiness: ReadinessMemory = { state: {} };
  const polls = new Map<string, PollStats>();
  await using http = new HttpEndpoint({
    pid: options.host.pid,
    crisis,
    readiness: () => readiness.state,
  }, { clock, logger });
  // A taken or foreign address refuses the start (exit 2), naming it.
  http.start(loaded);
  const life: DaemonLife = {
    bootId,
    crisis,
    readiness,
    systemd,
    polls,
    http,
  };
  for (let first = true;; first = false) {
    const next = await runSession(options, loaded, life, first);
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
  life: DaemonLife,
  first: boolean,
): Promise<LoadedConfig | null> {
  const { logger, clock, host } = options;
  const { config } = loaded;
  const { crisis } = life;
  const dryRun = options.dryRunFlag || config.shutdown.dry_run;
  const runner = createRunner({ logger, dryRun });
  const notifier = notifierFor(options, loaded);
  const tell: Tell = (name, tone, message, fields = {}) =>
    notifier.notify(
      notificationOf(
        { name, tone, message, fields },
        config.ups.name,
        clock.now(),
      ),
    );
  announceSession(loaded, { first, dryRun, logger, tell });
  life.systemd.checkPollCycle(config);
  if (!first) await life.http.reload(config);
  // With readiness on, its first round reports the same problems once.
  if (!config.readiness.enabled) {
    await warnAboutSetup(loaded, { runner, logger, tell, host });
  }
  const halt = new Halt();
  // The budget trigger weighs the time left against this (issue 13).
  const durations = await readDurations(config.paths.durations, logger);
  const { neededMs } = buildPlan(config, { durations });
  const join = joinFor(
    { options, config, life, notifier, halt, dryRun },
    () => ups,
  );
  await using ups = new UpsSet(loaded, {
    clock,
    logger,
    tell,
    monitor: (watcher, index) =>
      monitorFor(
        {
          options,
          life,
          notifier,
          join,
          neededMs,
          upsCount: config.upses.length,
        },
        watcher,
        index,
      ),
  });
  prunePolls(life, config.upses.map((entry) => entry.name));
  const parts: SessionParts = { options, config, life, ups, notifier, tell };
  const session = new AbortController();
  const sequence: SequenceOptions = {
    config,
    runner,
    notifier,
    logger,
    clock,
    bootId: life.bootId,
    beforeLocal: () => ups.logout(clock),
    fleet: ups.fleetLinks(),
  };
  using reloader = attachCrisis(options, crisis, {
    sequence,
    triggers: ups,
    endSession: () => session.abort(),
  });
  if (first) await resumeAtStart(sequence, crisis);
  await ups.start();
  await crisis.dispatch({ kind: "session_started", dryRun });

  // The session ends on SIGTERM, or when a reloaded config was accepted.
  // systemd hears of a stop before a running sequence is waited for.
  const stop = () => {
    life.systemd.stopping();
    session.abort();
  };
  options.signal.addEventListener("abort", stop, { once: true });
  if (options.signal.aborted) stop();
  const background = [
    watchFlag(
      config.paths.flag,
      crisis,
      clock,
      Math.max(1000, config.ups.check_interval),
      session.signal,
    ),
    scheduleReadiness(parts, halt, session.signal),
    life.http.serve({
      config,
      upses: ups.watchers.map(({ loaded, monitor, login }) => ({
        config: loaded.config,
        monitor,
        client: login.polling,
        polls: pollsOf(life, loaded.config.ups.name),
      })),
      notifier,
      durations,
    }, session.signal),
  ];
  try {
    await ups.run(session.signal);
  } finally {
    options.signal.removeEventListener("abort", stop);
    // However the loops ended (a stop, a reload, an error), the session is
    // over: its background tasks end with it, or the daemon would wait on
    // them forever, deaf to SIGTERM.
    session.abort();
    halt.now();
    await Promise.all(background);
  }
  return await endSession(options, crisis, reloader.accepted, {
    notifier,
    runner,
    tell,
    ups: config.upses.map((entry) => entry.name).join('", "'),
  });
}

/** What a session's parts share. */
interface SessionParts {
  options: DaemonOptions;
  config: Config;
  life: DaemonLife;
  ups: UpsSet;
  notifier: Notifier;
  tell: Tell;
}

/** Stops a readiness round in progress; the next round gets a fresh signal. */
export class Halt {
  #controller = new AbortController();

  /** The signal for a new round. */
  signal(): AbortSignal {
    if (this.#controller.signal.aborted) {
      this.#controller = new AbortController();
    }
    return this.#controller.signal;
  }

  /** Stops the round in progress. */
  now(): void {
    this.#controller.abort();
  }
}

/** Readiness rounds for the session, when enabled. */
function scheduleReadiness(
  parts: SessionParts,
  halt: Halt,
  signal: AbortSignal,
): Promise<void> {
  const { options, config, life } = parts;
  if (!config.readiness.enabled) return Promise.resolve();
  const { clock, logger } = options;
  return runReadiness({
    round: sessionRound({
      config,
      logger,
      clock,
      fetch: options.fetch,
      searchPath: options.host.env("PATH"),
      login: () => parts.ups.loginReadiness(),
      halt: () => halt.signal(),
    }),
    busy: () => life.crisis.busy,
    intervalMs: config.readiness.interval,
    clock,
    logger,
    tell: parts.tell,
    memory: life.readiness,
  }, signal);
}

/** The session's notifier: its channels, or the log alone. */
function notifierFor(
  options: DaemonOptions,
  loaded: LoadedConfig,
): Notifier & { close?(): Promise<void> } {
  const { config } = loaded;
  const { clock, logger } = options;
  return config.notifications.channels.length > 0
    ? new ChannelNotifier({ config, fetch: options.fetch, clock, logger })
    : new LogNotifier(logger);
}

/**
 * Hands crisis mode this session's collaborators: the sequence, the
 * monitor's triggers and the reload.
 *
 * @returns The session's reloader (dispose it to stop listening).
 */
function attachCrisis(
  options: DaemonOptions,
  crisis: CrisisController,
  parts: {
    sequence: SequenceOptions;
    triggers: { disarm(): void; rearm(): void };
    endSession: () => void;
  },
): Reloader {
  const { triggers } = parts;
  let reloader: Reloader | null = null;
  crisis.attach(sequenceShell(parts.sequence, {
    holdTriggers: () => triggers.disarm(),
    rearmTriggers: () => triggers.rearm(),
    applyReload: () => reloader?.apply() ?? Promise.resolve(),
  }));
  reloader = new Reloader(options, crisis, options.logger, parts.endSession);
  return reloader;
}

/** At the first start: resume, archive or hold by the flag found. */
async function resumeAtStart(
  sequence: SequenceOptions,
  crisis: CrisisController,
): Promise<void> {
  const { logger } = sequence;
  const outcome = await resumeIfPending(sequence, crisis).catch(
    (error: unknown) => {
      logger.error("shutdown.resume_failed", errorMessage(error));
      return { action: "none" as const };
    },
  );
  if (outcome.action === "resumed") {
    logger.info("shutdown.resumed_done", "The resumed sequence has ended");
  }
}

/** Waits for a running sequence, says goodbye on a stop, flushes, cleans up. */
async function endSession(
  options: DaemonOptions,
  crisis: CrisisController,
  reloaded: LoadedConfig | null,
  parts: {
    notifier: Notifier & { close?(): Promise<void> };
    runner: ReturnType<typeof createRunner>;
    tell: Tell;
    ups: string;
  },
): Promise<LoadedConfig | null> {
  const { logger } = options;
  if (crisis.busy) {
    logger.warning(
      "monitor.stopping",
      "Stop requested during a shutdown sequence: the sequence goes on",
    );
    await crisis.idle();
  }
  const stopping = reloaded === null || options.signal.aborted;
  if (stopping) {
    logger.info("monitor.stopped", "Monitor stopped");
    parts.tell(
      "monitor.stopped",
      "info",
      `ups-monitor stopped watching "${parts.ups}"`,
    );
  }
  await parts.notifier.flush(STOP_FLUSH_MS);
  await parts.notifier.close?.();
  await parts.runner.killAll();
  return stopping ? null : reloaded;
}
