/**
 * A custom command step: one configured program with its arguments,
 * bounded, placed in the sequence by its `after` key.
 *
 * @module
 */
import type { PlannedStep } from "../plan.ts";
import { commandOutcome, type StepContext, type StepOutcome } from "../step.ts";

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
  if (custom === undefined || custom.command.length === 0) {
    throw new RangeError(
      `Cannot run step "${step.id}": it names no custom command`,
    );
  }
  const outcome = await commandOutcome(context, custom.command, {
    timeoutMs: custom.timeout,
    action: `Running ${custom.name}`,
    done: (dryRun) => `${custom.name}: ${dryRun ? "logged (dry-run)" : "done"}`,
    failed: (why) => `${custom.name}: ${why}`,
  });
  return custom.reversible && custom.undo !== null
    ? {
      ...outcome,
      undo: {
        kind: "command",
        command: custom.undo,
        timeoutMs: custom.undo_timeout,
      },
    }
    : outcome;
}
