/**
 * The local shutdown: the configured command that powers this host off,
 * always the last step. In dry-run the runner only logs it.
 *
 * @module
 */
import type { PlannedStep } from "../plan.ts";
import {
  call,
  failureText,
  type StepContext,
  type StepOutcome,
  succeeded,
} from "../step.ts";

/**
 * Runs `shutdown.local.command`.
 *
 * @param context Collaborators; `config.shutdown.local` is used.
 * @param _step The planned step.
 * @returns Done when the command was accepted (exit 0).
 */
export async function localStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const local = context.config.shutdown.local;
  const [program, ...args] = local.command;
  if (program === undefined) {
    return { status: "failed", summary: "No local command", details: [] };
  }
  context.action("Shutting down this host", {
    command: local.command.join(" "),
  });
  const result = await call(context, program, args, {
    kind: "action",
    timeoutMs: local.timeout,
  });
  if (succeeded(result)) {
    return {
      status: "done",
      summary: result.dryRun
        ? "Local shutdown logged (dry-run)"
        : "Local shutdown started",
      details: [],
    };
  }
  return {
    status: result.timedOut ? "timeout" : "failed",
    summary: `Local shutdown failed: ${failureText(result)}`,
    details: [],
  };
}
