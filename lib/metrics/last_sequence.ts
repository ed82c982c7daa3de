/**
 * The last shutdown sequence in the durations history, for its per-step
 * metrics. Pure.
 *
 * @pure
 * @module
 */
import type { DurationHistory } from "../shutdown/durations.ts";

/** The last shutdown sequence's measured steps. */
export interface LastSequence {
  /** Wall-clock ms of its end. */
  readonly endWallMs: number;
  /** It only logged its actions. */
  readonly dryRun: boolean;
  /** Step id → duration, ms, in the order recorded. */
  readonly steps: readonly { readonly id: string; readonly ms: number }[];
}

/**
 * The last sequence in a durations history: the runs that share the latest
 * end time (a sequence records all its steps at once).
 *
 * @param history The durations file's content.
 * @returns The last sequence, or null when the history is empty.
 */
export function lastSequenceOf(history: DurationHistory): LastSequence | null {
  let endWallMs = -Infinity;
  for (const runs of Object.values(history)) {
    for (const run of runs) endWallMs = Math.max(endWallMs, run.wallMs);
  }
  if (endWallMs === -Infinity) return null;
  const steps: { id: string; ms: number }[] = [];
  let dryRun = false;
  for (const [id, runs] of Object.entries(history)) {
    const run = runs.findLast((r) => r.wallMs === endWallMs);
    if (run === undefined) continue;
    steps.push({ id, ms: run.ms });
    dryRun = run.dryRun;
  }
  return { endWallMs, dryRun, steps };
}
