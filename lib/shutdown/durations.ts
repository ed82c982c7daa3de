/**
 * Learned step durations: the small history file (`paths.durations`) the
 * sequence writes after every run, with each step's measured duration, and
 * the p90 the plan and the budget trigger use. Bounded: the last
 * {@linkcode MAX_RUNS_PER_STEP} runs per step id.
 *
 * Only real runs teach the time a step needs: a dry run logs instead of
 * acting, so its durations (the queries of a rehearsal, the logging of a
 * dry-run sequence) are kept and shown, never counted as "needed". The local
 * shutdown is never learned: its command returns long before the host is
 * down, so that step keeps its worst case. Pure.
 *
 * @pure
 * @module
 */

/** Steps whose measured time says nothing of the time they need. */
const NOT_LEARNED = new Set(["local"]);

/** Runs kept per step id. */
export const MAX_RUNS_PER_STEP = 20;

/** One measured run of one step. */
export interface DurationRun {
  /** Measured duration, ms. */
  readonly ms: number;
  /** Measured in a dry run (logged, not acted): not counted as needed. */
  readonly dryRun: boolean;
  /** Wall-clock ms of the end of the sequence. */
  readonly wallMs: number;
}

/** Runs per step id, oldest first. */
export type DurationHistory = Readonly<Record<string, readonly DurationRun[]>>;

/** What the plan learns about one step. */
export interface Learned {
  /** p90 of the real runs, rounded up to whole seconds, ms; null without any. */
  readonly p90Ms: number | null;
  /** Real runs behind it. */
  readonly runs: number;
  /** Dry runs recorded (shown, not counted). */
  readonly dryRuns: number;
  /** p90 of the dry runs, ms, rounded up to whole seconds; null without any. */
  readonly dryP90Ms: number | null;
}

/** A step result as far as the history needs it. */
export interface MeasuredStep {
  readonly id: string;
  readonly status: string;
  readonly durationMs: number;
}

/**
 * Reads the file's text; anything that does not fit is left out (a damaged
 * file loses what it cannot tell, never the daemon).
 *
 * @param text The file's content.
 * @returns The history.
 */
export function parseDurations(text: string): DurationHistory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {};
  }
  const steps = (data as { steps?: unknown } | null)?.steps;
  if (typeof steps !== "object" || steps === null) return {};
  const history: Record<string, DurationRun[]> = {};
  for (const [id, runs] of Object.entries(steps)) {
    if (!Array.isArray(runs)) continue;
    const kept = runs.flatMap((run): DurationRun[] => {
      const { ms, dry_run: dryRun, wall_ms: wallMs } = run ?? {};
      return typeof ms === "number" && Number.isFinite(ms) && ms >= 0 &&
          typeof dryRun === "boolean" && typeof wallMs === "number"
        ? [{ ms, dryRun, wallMs }]
        : [];
    });
    if (kept.length > 0) history[id] = kept.slice(-MAX_RUNS_PER_STEP);
  }
  return history;
}

/**
 * The file's text: JSON, one step per line for people who look.
 *
 * @param history The history.
 * @returns Text ending in a newline.
 */
export function serializeDurations(history: DurationHistory): string {
  const steps = Object.entries(history).map(([id, runs]) =>
    `    ${JSON.stringify(id)}: ${
      JSON.stringify(runs.map((r) => ({
        ms: Math.round(r.ms),
        "dry_run": r.dryRun,
        "wall_ms": r.wallMs,
      })))
    }`
  );
  return `{\n  "version": 1,\n  "steps": {\n${steps.join(",\n")}\n  }\n}\n`;
}

/**
 * Adds one sequence's measured steps: those that ended (done or timeout: a
 * timeout is the bound, and it happened); a failed or skipped step tells
 * nothing of the time it needs.
 *
 * @param history The history.
 * @param results The sequence's step results.
 * @param dryRun Whether the sequence only logged.
 * @param wallMs When it ended.
 * @returns The new history, bounded.
 */
export function addRun(
  history: DurationHistory,
  results: readonly MeasuredStep[],
  dryRun: boolean,
  wallMs: number,
): DurationHistory {
  const next: Record<string, readonly DurationRun[]> = { ...history };
  for (const result of results) {
    if (result.status !== "done" && result.status !== "timeout") continue;
    if (NOT_LEARNED.has(result.id)) continue;
    const runs = [...(next[result.id] ?? []), {
      ms: result.durationMs,
      dryRun,
      wallMs,
    }];
    next[result.id] = runs.slice(-MAX_RUNS_PER_STEP);
  }
  return next;
}

/**
 * The 90th percentile (nearest rank) rounded up to whole seconds.
 *
 * @param values Durations, ms.
 * @returns The p90, ms, or null for none.
 */
export function p90(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(0.9 * sorted.length) - 1;
  return Math.ceil(sorted[rank]! / 1000) * 1000;
}

/**
 * What the history teaches about one step.
 *
 * @param history The history.
 * @param id The step id.
 * @returns The learned duration, or null when the step never ran.
 */
export function learnedFor(
  history: DurationHistory,
  id: string,
): Learned | null {
  const runs = history[id] ?? [];
  if (runs.length === 0) return null;
  const real = runs.filter((r) => !r.dryRun).map((r) => r.ms);
  const dry = runs.filter((r) => r.dryRun).map((r) => r.ms);
  return {
    p90Ms: p90(real),
    runs: real.length,
    dryRuns: dry.length,
    dryP90Ms: p90(dry),
  };
}
