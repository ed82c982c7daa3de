/**
 * The shutdown sequence: writes the crisis flag, runs the planned steps in
 * order (a failed or timed-out step never stops it), records progress after
 * each step, sends a summary within the crisis budget and shuts the host
 * down last. After a daemon restart in the same boot it resumes the steps
 * left; a flag from another boot is archived, never resumed.
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
import type { Notifier, Severity } from "../notify/notifier.ts";
import {
  archiveCrisisFlag,
  type CrisisFlag,
  crisisState,
  type SequenceReason,
  UNKNOWN_BOOT_ID,
  writeCrisisFlag,
} from "./crisis.ts";
import { buildPlan, type PlannedStep } from "./plan.ts";
import type { StepContext, StepOutcome, StepResult } from "./step.ts";
import { STEP_FUNCTIONS } from "./steps/mod.ts";

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
  | { action: "done"; flag: CrisisFlag }
  | { action: "archived"; archivedPath: string; reason: string };

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
  const { logger, reason, runner } = options;
  const flag: CrisisFlag = {
    state: "running",
    reason,
    startedAt: options.clock.now(),
    bootId: options.bootId,
    dryRun: runner.dryRun,
    completedSteps: [],
    results: [],
  };
  await saveFlag(options, flag);
  logger.error(
    "shutdown.triggered",
    `${runner.dryRun ? "[DRY-RUN] " : ""}Shutdown triggered: ${reason.message}`,
    { reason: reason.trigger, "dry_run": runner.dryRun, ...reason.fields },
  );
  options.notifier.enterCrisis();
  notify(options, {
    event: "shutdown.triggered",
    severity: "critical",
    title: runner.dryRun
      ? "Shutdown triggered (dry-run)"
      : "Shutdown triggered",
    message: reason.message,
    fields: { reason: reason.trigger, ...reason.fields },
  });
  return await execute(options, flag, false);
}

/**
 * At start-up: resumes a sequence that a restart interrupted in this boot,
 * archives a flag from another boot (a host must not boot into its own
 * shutdown) or an unreadable one, and reports a finished one.
 *
 * @param options Collaborators, config and this boot's id.
 * @returns What was found and done.
 * @throws {FileError} When the flag exists but cannot be read.
 */
export async function resumeIfPending(
  options: SequenceOptions,
): Promise<ResumeOutcome> {
  const { logger, config } = options;
  const path = config.paths.flag;
  const found = await crisisState(path);
  if (found.state === "armed") return { action: "none" };
  const archive = async (suffix: string, why: string) => {
    const archivedPath = await archiveCrisisFlag(path, suffix);
    const message = `${why}; archived as "${archivedPath}"`;
    logger.warning("shutdown.flag_archived", message, { flag: path });
    notify(options, {
      event: "shutdown.flag_archived",
      severity: "warning",
      title: "Old crisis flag archived",
      message,
    });
    return { action: "archived" as const, archivedPath, reason: message };
  };
  if (found.state === "invalid") {
    return await archive(`invalid-${options.clock.now()}`, found.error);
  }
  const { flag } = found;
  // Without a known boot id this boot cannot be told from an earlier one:
  // archive rather than risk booting into a shutdown.
  if (flag.bootId !== options.bootId || options.bootId === UNKNOWN_BOOT_ID) {
    return await archive(
      String(flag.startedAt),
      `A shutdown sequence (${flag.state}) from another boot was found and is not resumed`,
    );
  }
  if (flag.state === "done") {
    logger.warning(
      "shutdown.already_done",
      "A shutdown sequence already ran in this boot; crisis mode stays on until the flag is removed",
      { flag: path, "dry_run": flag.dryRun },
    );
    return { action: "done", flag };
  }
  if (flag.dryRun && !options.runner.dryRun) {
    return await archive(
      String(flag.startedAt),
      "An interrupted dry-run sequence is not resumed by a daemon that is not in dry-run",
    );
  }
  logger.error(
    "shutdown.resumed",
    `Resuming the shutdown sequence after a restart: ${flag.completedSteps.length} steps already ended`,
    { reason: flag.reason.trigger, completed: flag.completedSteps.join(",") },
  );
  options.notifier.enterCrisis();
  notify(options, {
    event: "shutdown.resumed",
    severity: "critical",
    title: "Shutdown sequence resumed",
    message:
      `The daemon restarted during the sequence (${flag.reason.message}); the remaining steps run now`,
  });
  return { action: "resumed", report: await execute(options, flag, true) };
}

async function execute(
  options: SequenceOptions,
  flag: CrisisFlag,
  resumed: boolean,
): Promise<SequenceReport> {
  const { config, logger, clock } = options;
  const plan = buildPlan(config);
  const done = new Set(flag.completedSteps);
  const results: StepResult[] = [];
  let summarySent = false;
  for (const step of plan.steps) {
    if (done.has(step.id)) continue;
    if (step.kind === "local" && !summarySent) {
      summarySent = true;
      await sendSummary(options, flag);
      if (options.beforeLocal && !options.runner.dryRun) {
        await options.beforeLocal().catch((error: unknown) => {
          logger.warning(
            "shutdown.before_local_failed",
            (error as Error).message,
          );
        });
      }
    }
    const result = await runStep(options, step);
    results.push(result);
    flag.results.push(result);
    flag.completedSteps.push(step.id);
    await saveFlag(options, flag);
  }
  if (!summarySent) await sendSummary(options, flag);
  flag.state = "done";
  flag.finishedAt = clock.now();
  await saveFlag(options, flag);
  const count = (status: string) =>
    flag.results.filter((r) => r.status === status).length;
  logger.info("shutdown.complete", "Shutdown sequence complete", {
    done: count("done"),
    failed: count("failed"),
    timeout: count("timeout"),
    skipped: count("skipped"),
    "duration_ms": flag.finishedAt - flag.startedAt,
    "dry_run": flag.dryRun,
  });
  return { flag, results, resumed };
}

async function runStep(
  options: SequenceOptions,
  step: PlannedStep,
): Promise<StepResult> {
  const { logger, clock } = options;
  const dry = options.runner.dryRun ? "[DRY-RUN] " : "";
  if (!step.enabled) {
    logger.debug("shutdown.step", `Skipped ${step.title}: ${step.skipReason}`, {
      step: step.id,
      phase: "skipped",
    });
    return {
      id: step.id,
      title: step.title,
      status: "skipped",
      durationMs: 0,
      summary: `Skipped: ${step.skipReason}`,
      details: [],
    };
  }
  logger.info("shutdown.step", `${dry}Starting ${step.title}`, {
    step: step.id,
    phase: "start",
  });
  notify(options, {
    event: "shutdown.step",
    severity: "info",
    title: `${dry}${step.title}`,
    message: "Starting",
    fields: { phase: "start" },
  });
  const context: StepContext = {
    config: options.config,
    runner: options.runner,
    logger,
    clock,
    action(message, fields) {
      logger.info("shutdown.action", `${dry}${message}`, {
        step: step.id,
        ...fields,
      });
      notify(options, {
        event: "shutdown.action",
        severity: "info",
        title: `${dry}${step.title}`,
        message,
        ...(fields ? { fields } : {}),
      });
    },
    ...(options.env ? { env: options.env } : {}),
    ...(options.searchPath ? { searchPath: options.searchPath } : {}),
    ...(options.vmPollIntervalMs
      ? { vmPollIntervalMs: options.vmPollIntervalMs }
      : {}),
  };
  const started = clock.monotonic();
  const outcome = await guarded(
    clock,
    STEP_FUNCTIONS[step.kind](context, step),
    // Every call is bounded already; this catches a step that is not.
    step.worstCaseMs + 5000,
  );
  const durationMs = Math.round(clock.monotonic() - started);
  const level = outcome.status === "done" ? "info" : "error";
  logger[level](
    "shutdown.step",
    `${dry}${step.title}: ${outcome.summary}`,
    {
      step: step.id,
      phase: outcome.status,
      "duration_ms": durationMs,
      details: outcome.details.join("; ") || undefined,
    },
  );
  notify(options, {
    event: "shutdown.step",
    severity: outcome.status === "done" ? "info" : "warning",
    title: `${dry}${step.title}: ${outcome.status}`,
    message: [outcome.summary, ...outcome.details].join("\n"),
    fields: { phase: outcome.status, "duration_ms": durationMs },
  });
  return { id: step.id, title: step.title, durationMs, ...outcome };
}

/** The step's outcome, a failure when it throws, a timeout past `limitMs`. */
async function guarded(
  clock: Clock,
  work: Promise<StepOutcome>,
  limitMs: number,
): Promise<StepOutcome> {
  const cancel = new AbortController();
  const timer = clock.sleep(limitMs, cancel.signal).then(
    (): StepOutcome => ({
      status: "timeout",
      summary: `Did not end within ${limitMs} ms; going on`,
      details: [],
    }),
    // Cancelled because the step ended first.
    () => new Promise<never>(() => {}),
  );
  const safe = work.catch((error: unknown): StepOutcome => ({
    status: "failed",
    summary: error instanceof Error ? error.message : String(error),
    details: [],
  }));
  try {
    return await Promise.race([safe, timer]);
  } finally {
    cancel.abort();
  }
}

/**
 * Sends the summary of what succeeded and failed, then waits for delivery
 * within the crisis budget, never longer.
 */
async function sendSummary(
  options: SequenceOptions,
  flag: CrisisFlag,
): Promise<void> {
  const lines = flag.results.filter((r) => r.status !== "skipped").map((r) =>
    `${r.title}: ${r.status} in ${
      (r.durationMs / 1000).toFixed(1)
    } s (${r.summary})`
  );
  const failed =
    flag.results.filter((r) => r.status === "failed" || r.status === "timeout")
      .length;
  notify(options, {
    event: "shutdown.summary",
    severity: failed > 0 ? "critical" : "warning",
    title: `${flag.dryRun ? "[DRY-RUN] " : ""}Shutting down this host`,
    message: lines.length === 0
      ? "No step ran before the local shutdown"
      : lines.join("\n"),
    fields: { failed },
  });
  // The summary waits even after failed sends (`final`): the sequence's whole
  // notification budget is spent here, since steps never wait for a send.
  const budget = options.config.notifications.crisis_budget;
  const cancel = new AbortController();
  try {
    const delivered = await Promise.race([
      options.notifier.flush(budget, { final: true }).catch(() => false),
      options.clock.sleep(budget, cancel.signal).then(() => false),
    ]);
    if (!delivered) {
      options.logger.warning(
        "shutdown.notify_late",
        "Notifications not delivered within the crisis budget; shutting down anyway",
        { "budget_ms": budget },
      );
    }
  } finally {
    cancel.abort();
  }
}

function notify(
  options: SequenceOptions,
  n: {
    event: string;
    severity: Severity;
    title: string;
    message: string;
    fields?: Record<string, string | number>;
  },
): void {
  try {
    options.notifier.notify({
      ...n,
      ups: options.config.ups.name,
      timeMs: options.clock.now(),
    });
  } catch (error) {
    // A notifier must never stop the shutdown.
    options.logger.warning(
      "shutdown.notify_failed",
      "Cannot queue a notification",
      {
        error,
      },
    );
  }
}

async function saveFlag(options: SequenceOptions, flag: CrisisFlag) {
  try {
    await writeCrisisFlag(options.config.paths.flag, flag, options.logger);
  } catch (error) {
    // Progress is lost on a restart, but the shutdown itself goes on.
    options.logger.error(
      "shutdown.flag_write_failed",
      error instanceof Error ? error.message : String(error),
      { flag: options.config.paths.flag },
    );
  }
}
