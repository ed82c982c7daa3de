/**
 * The local shutdown: the configured command that powers this host off,
 * always the last step. In dry-run the runner only logs it.
 *
 * @module
 */
import type { PlannedStep } from "../plan.ts";
import { commandOutcome, type StepContext, type StepOutcome } from "../step.ts";

/**
 * Runs `shutdown.local.command`.
 *
 * @param context Collaborators; `config.shutdown.local` is used.
 * @param _step The planned step.
 * @returns Done when the command was accepted (exit 0).
 */
export function localStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const local = context.config.shutdown.local;
  return commandOutcome(context, local.command, {
    timeoutMs: local.timeout,
    action: "Shutting down this host",
    done: (dryRun) =>
      dryRun ? "Local shutdown logged (dry-run)" : "Local shutdown started",
    failed: (why) => `Local shutdown failed: ${why}`,
  });
}
