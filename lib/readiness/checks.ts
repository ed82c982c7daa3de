/**
 * The readiness checks of a config and one round of them: every enabled
 * step's checks in plan order, then one per notification channel, run in
 * parallel, each bounded in time on the injected clock. Read-only: every
 * child process is a runner query, so a round also runs in dry-run, and no
 * channel is ever posted to.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import { formatDuration } from "../config/duration.ts";
import { type Config, secretsOf } from "../config/schema.ts";
import { buildPlan } from "../shutdown/plan.ts";
import { type Clock, deadline } from "../system/clock.ts";
import type { Runner } from "../system/exec.ts";
import { type Logger, redact } from "../system/log.ts";
import { channelChecks } from "./channels.ts";
import type { CheckResult, ReadinessCheck } from "./check.ts";
import type { RoundResult } from "./state.ts";
import { STEP_READINESS } from "./steps.ts";

/** What a readiness check runs with. */
export interface ReadinessContext {
  /** The validated config the round belongs to. */
  config: Config;
  /** Runs every child process; checks only make `"query"` calls. */
  runner: Runner;
  /** Receives diagnostics. */
  logger: Logger;
  /** GETs the channels' URLs. */
  fetch: typeof fetch;
  /** Bounds each check. */
  clock: Clock;
  /** Bound of one check, ms (`readiness.timeout`). */
  timeoutMs: number;
  /** Environment added to each call, e.g. a `PATH` with stand-ins. @default none */
  env?: Record<string, string>;
  /** Directories searched for programs. @default DEFAULT_SEARCH_PATH */
  searchPath?: string;
  /**
   * Aborts the work of a check. {@linkcode runChecks} gives each check its
   * own signal, which aborts when the check overruns `timeoutMs` (so its
   * child processes and requests end too) or when the caller's aborts.
   * @default none
   */
  signal?: AbortSignal;
}

/**
 * Every readiness check of a config: the checks of each enabled step in
 * plan order (see `STEP_READINESS` in `steps.ts`), then one per channel.
 *
 * @param config A validated config.
 * @returns The checks; ids are stable across rounds of the same config.
 */
export function readinessChecks(
  config: Config,
): ReadinessCheck<ReadinessContext>[] {
  const steps = buildPlan(config).steps.filter((step) => step.enabled);
  return [
    ...steps.flatMap((step) => STEP_READINESS[step.kind](config, step)),
    ...channelChecks(config),
  ];
}

/**
 * Runs one round: every check at once, each bounded by `context.timeoutMs`
 * on `context.clock`. A check that overruns is not ready ("did not answer
 * within 20s") and its signal aborts; one that throws is not ready with the
 * error's message, secrets of the config masked.
 *
 * @param checks The checks, e.g. from {@linkcode readinessChecks}.
 * @param context What they run with; its `signal` cancels the round.
 * @returns One result per check, in check order. Never rejects.
 */
export async function runChecks(
  checks: readonly ReadinessCheck<ReadinessContext>[],
  context: ReadinessContext,
): Promise<RoundResult[]> {
  return await Promise.all(checks.map((check) => runOne(check, context)));
}

async function runOne(
  check: ReadinessCheck<ReadinessContext>,
  context: ReadinessContext,
): Promise<RoundResult> {
  using bound = deadline(context.clock, context.timeoutMs, context.signal);
  const overrun = new Promise<CheckResult>((resolve) => {
    bound.signal.addEventListener("abort", () =>
      resolve({
        ready: false,
        detail: context.signal?.aborted
          ? "cancelled before it answered"
          : `did not answer within ${formatDuration(context.timeoutMs)}`,
      }), { once: true });
  });
  // Started inside then(), so a check that throws synchronously is caught too.
  const attempt = Promise.resolve().then(() =>
    check.run({ ...context, signal: bound.signal })
  ).catch((error: unknown): CheckResult => ({
    ready: false,
    detail: `cannot check: ${
      redact(
        errorMessage(error),
        secretsOf(context.config),
      )
    }`,
  }));
  const result = await Promise.race([attempt, overrun]);
  return {
    id: check.id,
    title: check.title,
    ready: result.ready,
    detail: result.detail,
  };
}
