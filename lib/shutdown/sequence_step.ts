/**
 * One step of the shutdown sequence: logged and notified at its start and
 * end, given its context, bounded by its worst case even if the step itself
 * is not.
 *
 * @module
 */
import type { Clock } from "../system/clock.ts";
import { errorMessage } from "../errors.ts";
import type { PlannedStep } from "./plan.ts";
import type { SequenceOptions } from "./sequence.ts";
import { notify } from "./sequence_notify.ts";
import type { StepContext, StepOutcome, StepResult } from "./step.ts";
import { STEP_FUNCTIONS } from "./steps/mod.ts";

/**
 * Runs one planned step; a skipped step is reported as such.
 *
 * @param options The sequence's collaborators.
 * @param step The planned step.
 * @returns Its result; never rejects.
 */
export async function runStep(
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
    ...(options.fleet ? { fleet: options.fleet } : {}),
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
    summary: errorMessage(error),
    details: [],
  }));
  try {
    return await Promise.race([safe, timer]);
  } finally {
    cancel.abort();
  }
}
