/**
 * The shutdown plan: the config turned into the ordered list of steps the
 * sequence runs, each with its worst-case duration, and the text that
 * `ups-monitor plan` prints. Pure: data in, data out.
 *
 * @pure
 * @module
 */
import { formatDuration } from "../config/duration.ts";
import type { Config } from "../config/schema.ts";
import { STEP_KINDS } from "../config/schema.ts";
import { type DurationHistory, type Learned, learnedFor } from "./durations.ts";
import {
  type KindPlan,
  type KindStep,
  type PlannedStep,
  PURE_STEP_KINDS,
  type StepKind,
} from "./kinds/mod.ts";

export type { PlannedStep, StepKind } from "./kinds/mod.ts";

/**
 * Milliseconds a bounded call may overrun its timeout: the runner's grace
 * between SIGTERM and SIGKILL (2 s) plus the wait before it abandons a child
 * that does not die (1 s), as in `lib/system/exec.ts`.
 */
export const CALL_GRACE_MS = 3000;

/** The whole plan. */
export interface Plan {
  /** Steps in execution order; the local shutdown is always last. */
  steps: PlannedStep[];
  /**
   * Index of the point of no return: the first enabled step an abort cannot
   * undo. Before it, power that returns for `shutdown.abort.hold` aborts the
   * sequence; from it on, the sequence always completes.
   */
  pointOfNoReturn: number;
  /** `shutdown.abort.hold` in ms when aborts are enabled, else null. */
  abortHoldMs: number | null;
  /** Wait for notifications before the local shutdown (the crisis budget), ms. */
  notifyFlushMs: number;
  /** Sum of the enabled steps' worst cases plus the notification wait, ms. */
  totalMs: number;
  /** `triggers.critical_runtime`, ms: the runtime left when the sequence may start. */
  criticalRuntimeMs: number;
  /** What the durations history teaches, per step id (steps that ran only). */
  learned: Readonly<Record<string, Learned>>;
  /**
   * The time the plan needs, ms: per enabled step its learned p90 where real
   * runs are known, else its worst case, plus the notification wait.
   */
  neededMs: number;
  /** `triggers.budget.margin` when the budget trigger is enabled, else null. */
  budgetMarginMs: number | null;
  /** Whether actions are only logged (`shutdown.dry_run`). */
  dryRun: boolean;
  /** Problems with the plan, e.g. a total above the critical runtime. */
  warnings: string[];
}

/** Options of {@linkcode buildPlan}. */
export interface PlanOptions {
  /** Overrun allowed per bounded call, ms. @default CALL_GRACE_MS */
  callGraceMs?: number;
  /** Measured durations (`paths.durations`). @default none */
  durations?: DurationHistory;
}

/**
 * Turns the config into the ordered steps of the shutdown sequence with
 * their worst-case durations. Custom steps follow the step they name (in
 * config order); the local shutdown comes last.
 *
 * @param config A validated config.
 * @param options Per-call grace.
 * @returns The plan; never throws.
 */
export function buildPlan(config: Config, options: PlanOptions = {}): Plan {
  const grace = options.callGraceMs ?? CALL_GRACE_MS;
  // Every kind is planned, in order: a kind without steps is a bug, not a skip.
  const kindsInOrder: readonly StepKind[] = ["fleet", ...STEP_KINDS, "custom"];
  const plans = {} as Record<StepKind, KindPlan>;
  for (const kind of kindsInOrder) {
    plans[kind] = PURE_STEP_KINDS[kind].plan(config, grace);
  }
  const reversible = (step: KindStep): PlannedStep => ({
    ...step,
    reversible: step.kind === "custom"
      ? config.shutdown.custom[step.customIndex ?? -1]?.reversible ?? false
      : PURE_STEP_KINDS[step.kind].reversible,
  });
  const customAfter = (position: string) =>
    plans.custom.steps.filter((step) =>
      config.shutdown.custom[step.customIndex ?? -1]?.after === position
    );

  // A primary tells the other hosts first; custom steps follow the step
  // they name; the local shutdown comes last.
  const ordered: KindStep[] = [...plans.fleet.steps, ...customAfter("start")];
  for (const kind of STEP_KINDS) {
    if (kind === "local") continue;
    ordered.push(...plans[kind].steps, ...customAfter(kind));
  }
  ordered.push(...plans.local.steps);
  const steps = ordered.map(reversible);
  const pointOfNoReturn = steps.findIndex((s) => s.enabled && !s.reversible);

  const notifyFlushMs = config.notifications.crisis_budget;
  const totalMs = notifyFlushMs +
    steps.reduce((sum, s) => sum + (s.enabled ? s.worstCaseMs : 0), 0);
  const learned: Record<string, Learned> = {};
  for (const step of steps) {
    const found = learnedFor(options.durations ?? {}, step.id);
    if (found !== null) learned[step.id] = found;
  }
  const neededMs = notifyFlushMs +
    steps.reduce(
      (sum, s) => sum + (s.enabled ? learned[s.id]?.p90Ms ?? s.worstCaseMs : 0),
      0,
    );
  const criticalRuntimeMs = config.triggers.critical_runtime;
  const warnings = kindsInOrder.flatMap((kind) =>
    plans[kind].timingWarnings ?? []
  );
  if (totalMs > criticalRuntimeMs) {
    warnings.push(
      `The worst case "${formatDuration(totalMs)}" exceeds ` +
        `triggers.critical_runtime "${formatDuration(criticalRuntimeMs)}": ` +
        "the sequence may not finish on the battery it starts with",
    );
  }
  warnings.push(...kindsInOrder.flatMap((kind) => plans[kind].warnings ?? []));
  return {
    steps,
    pointOfNoReturn: pointOfNoReturn === -1 ? steps.length : pointOfNoReturn,
    abortHoldMs: config.shutdown.abort.enabled
      ? config.shutdown.abort.hold
      : null,
    notifyFlushMs,
    totalMs,
    learned,
    neededMs,
    budgetMarginMs: config.triggers.budget.enabled
      ? config.triggers.budget.margin
      : null,
    criticalRuntimeMs,
    dryRun: config.shutdown.dry_run,
    warnings,
  };
}

/**
 * Formats a plan for `ups-monitor plan`: one numbered line per step with its
 * worst case, its details indented, skipped steps marked, then the total and
 * the warnings.
 *
 * @param plan A plan from {@linkcode buildPlan}.
 * @returns Text ending in a newline.
 */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [
    `Shutdown sequence${
      plan.dryRun ? " (dry-run: actions are logged only)" : ""
    }:`,
  ];
  const width = Math.max(...plan.steps.map((s) => s.title.length));
  const abortable = plan.abortHoldMs !== null && plan.pointOfNoReturn > 0;
  plan.steps.forEach((s, i) => {
    if (abortable && i === plan.pointOfNoReturn) {
      lines.push(
        `    -- point of no return: from here on the sequence always completes --`,
      );
    }
    const time = s.enabled
      ? `up to ${formatDuration(s.worstCaseMs)}${
        learnedText(plan.learned[s.id])
      }${abortable && i < plan.pointOfNoReturn ? ", reversible" : ""}`
      : `skipped: ${s.skipReason}`;
    lines.push(
      `${String(i + 1).padStart(2)}. ${s.title.padEnd(width)}  ${time}`,
    );
    if (s.enabled) {
      for (const detail of s.details) lines.push(`      ${detail}`);
    }
  });
  lines.push(
    `    Notifications before the local shutdown: up to ${
      formatDuration(plan.notifyFlushMs)
    }`,
    `Worst case in total: ${formatDuration(plan.totalMs)} (critical runtime ${
      formatDuration(plan.criticalRuntimeMs)
    })`,
  );
  if (abortable) {
    lines.push(
      `Power back for ${
        formatDuration(plan.abortHoldMs ?? 0)
      } before the point of no return aborts the sequence and starts again what it stopped (not after FSD or the fail-safe)`,
    );
  }
  lines.push(neededText(plan));
  for (const warning of plan.warnings) lines.push(`Warning: ${warning}`);
  return lines.join("\n") + "\n";
}

/** ", learned 45s (p90 of 7 runs)" after a step's worst case, or nothing. */
function learnedText(learned: Learned | undefined): string {
  if (learned === undefined) return "";
  if (learned.p90Ms !== null) {
    return `, learned ${formatDuration(learned.p90Ms)} (p90 of ${
      runCount(learned.runs, "run")
    })`;
  }
  return `, rehearsed ${formatDuration(learned.dryP90Ms ?? 0)} (${
    runCount(learned.dryRuns, "dry run")
  }, not counted)`;
}

function runCount(n: number, what: string): string {
  return n === 1 ? `1 ${what}` : `${n} ${what}s`;
}

/** The time needed and what the budget trigger makes of it. */
function neededText(plan: Plan): string {
  const known = Object.values(plan.learned).filter((l) => l.p90Ms !== null)
    .length;
  const basis = known === 0
    ? "worst cases, no step measured yet"
    : "learned where measured, else worst cases";
  const needed = `Time needed: ${formatDuration(plan.neededMs)} (${basis})`;
  if (plan.budgetMarginMs === null) return `${needed}; budget trigger off`;
  return `${needed}; the budget trigger fires at ${
    formatDuration(plan.neededMs + plan.budgetMarginMs)
  } left on battery (margin ${formatDuration(plan.budgetMarginMs)})`;
}
