/**
 * A custom command step: one configured program with its arguments,
 * bounded, placed in the sequence by its `after` key.
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
 * Runs the custom command of `shutdown.custom[step.customIndex]`.
 *
 * @param context Collaborators.
 * @param step The planned step; its `customIndex` picks the command.
 * @returns Done when the command exited 0.
 * @throws {RangeError} When the step names no custom command (a bug).
 */
export async function commandStep(
  context: StepContext,
  step: PlannedStep,
): Promise<StepOutcome> {
  const custom = context.config.shutdown.custom[step.customIndex ?? -1];
  const [program, ...args] = custom?.command ?? [];
  if (custom === undefined || program === undefined) {
    throw new RangeError(
      `Cannot run step "${step.id}": it names no custom command`,
    );
  }
  context.action(`Running ${custom.name}`, {
    command: custom.command.join(" "),
  });
  const result = await call(context, program, args, {
    kind: "action",
    timeoutMs: custom.timeout,
  });
  if (succeeded(result)) {
    return {
      status: "done",
      summary: `${custom.name}: ${result.dryRun ? "logged (dry-run)" : "done"}`,
      details: [],
    };
  }
  return {
    status: result.timedOut ? "timeout" : "failed",
    summary: `${custom.name}: ${failureText(result)}`,
    details: [],
  };
}
