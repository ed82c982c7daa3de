/**
 * What the shutdown sequence tells people: the trigger or the resume, each
 * step, the summary before the local shutdown (waited for within the crisis
 * budget) and the completion. A notifier never stops the sequence.
 *
 * @module
 */
import type { StepProgress } from "../notify/notification.ts";
import type { Severity } from "../notify/notifier.ts";
import type { CrisisFlag } from "./crisis_machine.ts";
import type { SequenceOptions } from "./sequence.ts";

/**
 * Logs and notifies the start of a sequence: a trigger, or a resume after a
 * restart.
 *
 * @param options The sequence's collaborators.
 * @param what Whether the sequence is new or resumed.
 * @param flag Its flag.
 */
export function announce(
  options: SequenceOptions,
  what: "triggered" | "resumed",
  flag: CrisisFlag,
): void {
  const { logger } = options;
  const { reason } = flag;
  if (what === "resumed") {
    logger.error(
      "shutdown.resumed",
      `Resuming the shutdown sequence after a restart: ${flag.completedSteps.length} steps already ended`,
      { reason: reason.trigger, completed: flag.completedSteps.join(",") },
    );
    notify(options, {
      event: "shutdown.resumed",
      severity: "critical",
      title: "Shutdown sequence resumed",
      message:
        `The daemon restarted during the sequence (${reason.message}); the remaining steps run now`,
    });
    return;
  }
  logger.error(
    "shutdown.triggered",
    `${flag.dryRun ? "[DRY-RUN] " : ""}Shutdown triggered: ${reason.message}`,
    { reason: reason.trigger, "dry_run": flag.dryRun, ...reason.fields },
  );
  notify(options, {
    event: "shutdown.triggered",
    severity: "critical",
    title: flag.dryRun ? "Shutdown triggered (dry-run)" : "Shutdown triggered",
    message: reason.message,
    fields: { reason: reason.trigger, ...reason.fields },
  });
}

/**
 * Logs and notifies an abort: the power is back before the point of no
 * return, the sequence stops after the step in progress.
 *
 * @param options The sequence's collaborators.
 * @param flag The aborted sequence's flag.
 */
export function announceAbort(
  options: SequenceOptions,
  flag: CrisisFlag,
): void {
  const hold = options.config.shutdown.abort.hold / 1000;
  const message =
    `Power back for ${hold}s before the point of no return: shutdown aborted; what it stopped is started again`;
  options.logger.warning("shutdown.aborted", message, {
    reason: flag.reason.trigger,
    completed: flag.completedSteps.join(","),
  });
  notify(options, {
    event: "shutdown.aborted",
    severity: "recovery",
    title: "Power back: shutdown aborted",
    message,
  });
}

/**
 * Logs and notifies one summary of what the rollback restored.
 *
 * @param options The sequence's collaborators.
 * @param flag The flag after the rollback.
 */
export function reportRollback(
  options: SequenceOptions,
  flag: CrisisFlag,
): void {
  const lines = flag.rollback ?? [];
  const message = lines.length === 0
    ? "Nothing had been stopped"
    : lines.join("\n");
  options.logger.info("shutdown.rolled_back", "Rollback complete", {
    actions: lines.length,
  });
  notify(options, {
    event: "shutdown.rolled_back",
    severity: "recovery",
    title: `${flag.dryRun ? "[DRY-RUN] " : ""}Restored after the abort`,
    message,
  });
}

/**
 * Logs `shutdown.complete` with how many steps ended in each way.
 *
 * @param options The sequence's collaborators.
 * @param flag The flag of the ended sequence.
 */
export function reportComplete(
  options: SequenceOptions,
  flag: CrisisFlag,
): void {
  const count = (status: string) =>
    flag.results.filter((r) => r.status === status).length;
  options.logger.info("shutdown.complete", "Shutdown sequence complete", {
    done: count("done"),
    failed: count("failed"),
    timeout: count("timeout"),
    skipped: count("skipped"),
    "duration_ms": (flag.finishedAt ?? flag.startedAt) - flag.startedAt,
    "dry_run": flag.dryRun,
  });
}

/**
 * Sends the summary of what succeeded and failed, then waits for delivery
 * within the crisis budget, never longer.
 */
export async function sendSummary(
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

/**
 * Queues one notification of the sequence; a notifier that throws is logged.
 *
 * @param options The sequence's collaborators.
 * @param n The notification without UPS and time.
 */
export function notify(
  options: SequenceOptions,
  n: {
    event: string;
    severity: Severity;
    title: string;
    message: string;
    fields?: Record<string, string | number>;
    step?: StepProgress;
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
