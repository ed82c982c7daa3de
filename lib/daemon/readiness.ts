/**
 * Scheduled readiness in the daemon: a round of checks when a session starts
 * (start-up and every accepted reload) and every `readiness.interval`, never
 * while a shutdown sequence runs, never awaited by the poll loop, each check
 * bounded. A change (ready → not ready, and back) is logged and notified
 * once; the state survives reloads, so a reload does not repeat a report.
 *
 * @module
 */
import { errorMessage } from "../errors.ts";
import type { RoundResult } from "../readiness/state.ts";
import {
  allReady,
  applyRound,
  type ReadinessChange,
  type ReadinessState,
} from "../readiness/state.ts";
import type { Config } from "../config/schema.ts";
import type { CheckResult } from "../readiness/check.ts";
import { readinessChecks, runChecks } from "../readiness/checks.ts";
import type { Clock } from "../system/clock.ts";
import { createRunner } from "../system/exec.ts";
import type { Logger } from "../system/log.ts";
import type { Tell } from "./banner.ts";

/** What the readiness rounds of a daemon share across its sessions. */
export interface ReadinessMemory {
  /** The state after the last round. */
  state: ReadinessState;
}

/** Collaborators of {@linkcode runReadiness}. */
export interface ReadinessOptions {
  /**
   * Runs one round of checks; never rejects. Null when the round was cut
   * short (a sequence started): its results say nothing and are dropped.
   */
  round(): Promise<RoundResult[] | null>;
  /** Whether a shutdown sequence runs now: no round starts then. */
  busy(): boolean;
  /** Time between rounds, ms. */
  intervalMs: number;
  clock: Clock;
  logger: Logger;
  tell: Tell;
  /** Carries the state across sessions. */
  memory: ReadinessMemory;
}

/**
 * Runs a round now and then every interval until `signal` aborts.
 *
 * @param options Collaborators and the interval.
 * @param signal Ends the schedule with the session.
 */
export async function runReadiness(
  options: ReadinessOptions,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    if (options.busy()) {
      options.logger.debug(
        "readiness.skipped",
        "Readiness checks skipped: a shutdown sequence runs",
      );
    } else {
      await readinessRound(options).catch((error: unknown) => {
        options.logger.warning("readiness.failed", errorMessage(error));
      });
    }
    const slept = await options.clock.sleep(options.intervalMs, signal).then(
      () => true,
      () => false,
    );
    if (!slept) return;
  }
}

/**
 * One round: runs the checks, folds them into the memory, reports changes.
 *
 * @param options Collaborators.
 */
export async function readinessRound(options: ReadinessOptions): Promise<void> {
  const results = await options.round();
  if (results === null) return;
  const { state, changes } = applyRound(
    options.memory.state,
    results,
    options.clock.now(),
  );
  options.memory.state = state;
  for (const change of changes) report(change, options);
  const ready = results.filter((r) => r.ready).length;
  options.logger.info(
    "readiness.checked",
    allReady(state)
      ? `Readiness: all ${results.length} checks ready`
      : `Readiness: ${ready} of ${results.length} checks ready`,
    { ready, checks: results.length },
  );
}

function report(change: ReadinessChange, options: ReadinessOptions): void {
  const { state } = change;
  if (state.ready) {
    const message = `${state.title}: ready again: ${state.detail}`;
    options.logger.info("readiness.ready", message, { check: change.id });
    options.tell("readiness.ready", "recovery", message, { check: change.id });
    return;
  }
  const message = `${state.title}: not ready: ${state.detail}`;
  options.logger.warning("readiness.not_ready", message, { check: change.id });
  options.tell("readiness.not_ready", "warning", message, { check: change.id });
}

/** What a session's rounds are made of. */
export interface SessionChecks {
  config: Config;
  logger: Logger;
  clock: Clock;
  fetch: typeof globalThis.fetch;
  /** Directories searched for programs (the daemon's `PATH`). */
  searchPath: string | undefined;
  /** The NUT login as a check; null without credentials. */
  login(): CheckResult | null;
  /** Aborts when a sequence starts: the round in progress is dropped. */
  halt(): AbortSignal;
}

/**
 * A round of a session: the NUT login, then every enabled step and channel,
 * read-only (the runner is in dry-run, so only queries ever run).
 *
 * @param parts The session's config and collaborators.
 * @returns The round function for {@linkcode ReadinessOptions}.
 */
export function sessionRound(
  parts: SessionChecks,
): () => Promise<RoundResult[] | null> {
  const { config, logger, clock } = parts;
  const runner = createRunner({ logger: quiet(logger), dryRun: true });
  return async () => {
    const signal = parts.halt();
    const results = await runChecks(readinessChecks(config), {
      config,
      runner,
      logger,
      fetch: parts.fetch,
      clock,
      timeoutMs: config.readiness.timeout,
      signal,
      ...(parts.searchPath ? { searchPath: parts.searchPath } : {}),
    });
    if (signal.aborted) return null;
    const login = parts.login();
    return login === null
      ? results
      : [{ id: "nut", title: "NUT login", ...login }, ...results];
  };
}

/** The checks' own calls are routine: their outcome is what gets reported. */
function quiet(logger: Logger): Logger {
  return {
    debug: (event, msg, fields) => logger.debug(event, msg, fields),
    info: (event, msg, fields) => logger.debug(event, msg, fields),
    warning: (event, msg, fields) => logger.warning(event, msg, fields),
    error: (event, msg, fields) => logger.error(event, msg, fields),
  };
}
