/**
 * The sync step: flush file system buffers, bounded. A sync stuck on a dead
 * network mount is abandoned after its timeout, never awaited forever.
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
 * Runs `sync` within `shutdown.sync.timeout`.
 *
 * @param context Collaborators; `config.shutdown.sync` is used.
 * @param _step The planned step.
 * @returns Done, failed, or timeout when sync was abandoned.
 */
export async function syncStep(
  context: StepContext,
  _step: PlannedStep,
): Promise<StepOutcome> {
  const { timeout } = context.config.shutdown.sync;
  context.action("Flushing file system buffers (sync)");
  const result = await call(context, "sync", [], {
    kind: "action",
    timeoutMs: timeout,
  });
  if (succeeded(result)) {
    return {
      status: "done",
      summary: result.dryRun ? "sync (dry-run)" : "Buffers flushed",
      details: [],
    };
  }
  return {
    status: result.timedOut ? "timeout" : "failed",
    summary: result.timedOut
      ? `sync abandoned after ${timeout} ms`
      : `sync failed: ${failureText(result)}`,
    details: [],
  };
}
