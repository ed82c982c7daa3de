/**
 * The shutdown sequence: runs the planned steps in order (a failed or
 * timed-out step never stops it), records each through crisis mode, sends a
 * summary within the crisis budget and shuts the host down last; and the
 * crisis shell that carries out the state machine's effects with these
 * collaborators. `runSequence` and `resumeIfPending` drive the machine for
 * one trigger or one start-up.
 *
 * It takes no abort signal on purpose: SIGTERM to the daemon, or the power
 * returning, must not stop a sequence that has begun (the NAS may already
 * be going down).
 *
 * @module
 */
import type { Config } from "../config/schema.ts";
import type { Clock } from "../system/clock.ts";
import type { Runner } from "../system/exec.ts";
import type { Logger } from "../system/log.ts";
import type { Notifier } from "../notify/notifier.ts";
import { recordDurations } from "./durations_file.ts";
import { errorMessage } from "../errors.ts";
import {
  archiveCrisisFlag,
  clearCrisisFlag,
  type CrisisFlag,
  crisisState,
  type SequenceReason,
  writeCrisisFlag,
} from "./crisis.ts";
import {
  CrisisController,
  type CrisisShell,
  type StepHooks,
} from "./crisis_controller.ts";
import { rollBack } from "./rollback.ts";
import { buildPlan } from "./plan.ts";
import type { FleetLink, StepResult } from "./step.ts";
import { runStep } from "./sequence_step.ts";
import {
  announce,
  announceAbort,
  notify,
  reportComplete,
  reportRollback,
  sendSummary,
} from "./sequence_notify.ts";

export type { SequenceReason } from "./crisis.ts";

/** Collaborators of a sequence. */
export interface SequenceOptions {
  /** The validated config. */
  config: Config;
  /** Runs every child process; its `dryRun` makes the sequence a rehearsal. */
  runner: Runner;
  /** Receives step, action and result notifications; switched to crisis mode. */
  notifier: Notifier;
  /** Receives the `shutdown.*` events. */
  logger: Logger;
  /** Wall-clock start, durations, VM polling and the flush bound. */
  clock: Clock;
  /** This boot's id (see `readBootId`). */
  bootId: string;
  /** Environment added to each call (tests put stand-ins on `PATH`). @default none */
  env?: Record<string, string>;
  /** Directories searched for programs. @default the `PATH` in `env`, else DEFAULT_SEARCH_PATH */
  searchPath?: string;
  /** Milliseconds between VM state polls. @default 500 */
  vmPollIntervalMs?: number;
  /**
   * Runs after the summary, right before the local shutdown, unless in
   * dry-run: the monitor logs out of upsd there, so a NUT primary stops
   * waiting for this host. Must bound its own time; a failure is logged.
   */
  beforeLocal?: () => Promise<void>;
  /** The monitor's logged-in link to upsd, for a primary's FSD. @default none */
  fleet?: FleetLink;
}

/** What a finished (or resumed) sequence did. */
export interface SequenceReport {
  /** The flag as last written (state `done`). */
  flag: CrisisFlag;
  /** Results of the steps this run executed or skipped. */
  results: StepResult[];
  /** Whether this run resumed an interrupted sequence. */
  resumed: boolean;
}

/** What {@linkcode resumeIfPending} found and did. */
export type ResumeOutcome =
  | { action: "none" }
  | { action: "resumed"; report: SequenceReport }
  | { action: "done" | "held"; flag: CrisisFlag }
  | { action: "archived"; archivedPath: string; reason: string };

/** What the daemon adds to the sequence's own effects. */
export interface SessionHooks {
  /** Holds the power core's triggers back. */
  holdTriggers(): void;
  /** Re-arms them. */
  rearmTriggers(): void;
  /** Reloads the config now. */
  applyReload(): Promise<void>;
}

const NO_HOOKS: SessionHooks = {
  holdTriggers() {},
  rearmTriggers() {},
  applyReload: () => Promise.resolve(),
};

/**
 * The crisis shell of a session: the flag file, the notifier, the logger
 * and the steps, plus what the daemon adds.
 *
 * @param options The sequence's collaborators.
 * @param hooks The daemon's part. @default none
 * @returns The shell for a {@linkcode CrisisController}.
 */
export function sequenceShell(
  options: SequenceOptions,
  hooks: SessionHooks = NO_HOOKS,
): CrisisShell {
  const { logger, notifier } = options;
  const path = options.config.paths.flag;
  return {
    writeFlag: (flag) => saveFlag(options, flag),
    async clearFlag() {
      await clearCrisisFlag(path);
    },
    async archiveFlag(suffix, why) {
      const archivedPath = await archiveCrisisFlag(path, suffix);
      const message = `${why}; archived as "${archivedPath}"`;
      logger.warning("shutdown.flag_archived", message, { flag: path });
      notify(options, {
        event: "shutdown.flag_archived",
        severity: "warning",
        title: "Old crisis flag archived",
        message,
      });
    },
    announce: (what, flag) => announce(options, what, flag),
    runSteps: (flag, hooks) => executeSteps(options, flag, hooks),
    announceAbort: (flag) => announceAbort(options, flag),
    rollBack: (flag) => rollBack(options, flag),
    reportRollback: (flag) => reportRollback(options, flag),
    reportComplete: async (flag) => {
      reportComplete(options, flag);
      // What the plan and the budget trigger learn from (issue 13).
      await recordDurations(
        options.config.paths.durations,
        flag.results,
        flag.dryRun,
        flag.finishedAt ?? options.clock.now(),
        logger,
      );
    },
    holdTriggers: () => hooks.holdTriggers(),
    rearmTriggers: () => hooks.rearmTriggers(),
    enterCrisis: () => notifier.enterCrisis(),
    leaveCrisis: () => notifier.leaveCrisis?.(),
    log: (level, event, message) =>
      logger[level](event, message, { flag: path }),
    applyReload: () => hooks.applyReload(),
  };
}

/**
 * Runs the whole shutdown sequence for a trigger. Never rejects because of a
 * step; a flag file that cannot be written is logged and the sequence goes on.
 *
 * @param options Collaborators, config, boot id and the trigger's reason.
 * @returns The report once the last step (the local shutdown) has ended.
 */
export async function runSequence(
  options: SequenceOptions & { reason: SequenceReason },
): Promise<SequenceReport> {
  const crisis = new CrisisController(options.clock, sequenceShell(options));
  await crisis.dispatch({
    kind: "triggered",
    reason: options.reason,
    bootId: options.bootId,
    dryRun: options.runner.dryRun,
    nowMs: options.clock.now(),
  });
  await crisis.idle();
  return crisis.lastRun!;
}

/**
 * At start-up: resumes a sequence that a restart interrupted in this boot,
 * archives a flag from another boot (a host must not boot into its own
 * shutdown), from the future, or an unreadable one, and reports a finished
 * one. A dry-run process leaves a real sequence's flag alone.
 *
 * @param options Collaborators, config and this boot's id.
 * @param crisis The daemon's crisis mode. @default a new one
 * @returns What was found and done.
 * @throws {FileError} When the flag exists but cannot be read.
 */
export async function resumeIfPending(
  options: SequenceOptions,
  crisis = new CrisisController(options.clock, sequenceShell(options)),
): Promise<ResumeOutcome> {
  const path = options.config.paths.flag;
  const found = await crisisState(path);
  const effects = await crisis.dispatch({
    kind: "started",
    found,
    bootId: options.bootId,
    dryRun: options.runner.dryRun,
    nowMs: options.clock.now(),
  });
  await crisis.idle();
  for (const effect of effects) {
    if (effect.kind === "archive_flag") {
      const archivedPath = `${path}.archived-${effect.suffix}`;
      return {
        action: "archived",
        archivedPath,
        reason: `${effect.why}; archived as "${archivedPath}"`,
      };
    }
    if (effect.kind === "run_steps") {
      return { action: "resumed", report: crisis.lastRun! };
    }
  }
  const mode = crisis.mode;
  if (mode.mode === "done" || mode.mode === "held") {
    return { action: mode.mode, flag: mode.flag };
  }
  return { action: "none" };
}

/**
 * Runs the steps a flag has not completed, in plan order: the summary and
 * the hook before the local shutdown; crisis mode hears of each step before
 * (and may stop the sequence there: an abort) and after it.
 *
 * @param options Collaborators.
 * @param flag The sequence's flag.
 * @param hooks Crisis mode's side of each step.
 * @returns The results of this run.
 */
async function executeSteps(
  options: SequenceOptions,
  flag: CrisisFlag,
  hooks: StepHooks,
): Promise<StepResult[]> {
  const done = new Set(flag.completedSteps);
  const sent: StepResult[] = [...flag.results];
  const results: StepResult[] = [];
  let summarySent = false;
  const summary = async () => {
    summarySent = true;
    await sendSummary(options, { ...flag, results: sent });
  };
  for (const step of buildPlan(options.config).steps) {
    if (done.has(step.id)) continue;
    // A skipped step changes nothing: it neither commits nor can be stopped.
    if (step.enabled && !await hooks.beforeStep(step)) return results;
    if (step.kind === "local" && !summarySent) {
      await summary();
      if (options.beforeLocal && !options.runner.dryRun) {
        await options.beforeLocal().catch((error: unknown) => {
          options.logger.warning(
            "shutdown.before_local_failed",
            errorMessage(error),
          );
        });
      }
    }
    const result = await runStep(options, step);
    results.push(result);
    sent.push(result);
    await hooks.record(result);
  }
  if (!summarySent) await summary();
  return results;
}

async function saveFlag(options: SequenceOptions, flag: CrisisFlag) {
  try {
    await writeCrisisFlag(options.config.paths.flag, flag, options.logger);
  } catch (error) {
    // Progress is lost on a restart, but the shutdown itself goes on.
    options.logger.error(
      "shutdown.flag_write_failed",
      errorMessage(error),
      { flag: options.config.paths.flag },
    );
  }
}
