/**
 * Crisis mode as one state machine (shared/DESIGN.md): a pure transition
 * function from a mode and an event to the next mode and the effects the
 * shell carries out, in order. The modes:
 *
 * - `armed`: no sequence; a trigger starts one.
 * - `running`: a sequence runs; each ended step is recorded in the flag.
 *   (The next issue splits it at the point of no return and adds `aborting`.)
 * - `done`: the sequence ended; the triggers stay held until the power has
 *   been back for `shutdown.rearm_after` or the flag is removed by hand.
 * - `held`: a dry-run daemon found a real sequence's flag: it neither resumes
 *   nor completes it, and holds its own triggers so it never overwrites it.
 *
 * Pure: data in, data out; time is a parameter.
 *
 * @pure
 * @module
 */

import type {
  CrisisEffect,
  CrisisEvent,
  CrisisFlag,
  CrisisLogLevel,
  CrisisMode,
  CrisisTransition,
  StepResult,
} from "./crisis_types.ts";

export type {
  CrisisEffect,
  CrisisEvent,
  CrisisFlag,
  CrisisLogLevel,
  CrisisMode,
  CrisisState,
  CrisisTransition,
  SequenceReason,
  StepResult,
  StepStatus,
  Undo,
} from "./crisis_types.ts";

/** The boot id used when it cannot be read: nothing is ever resumed under it. */
export const UNKNOWN_BOOT_ID = "unknown";

/**
 * How far in the future a flag's start may lie before it is not trusted,
 * ms: a clock stepped back by NTP is normal, a day is not.
 */
export const FLAG_FUTURE_TOLERANCE_MS = 60_000;

/** Triggers whose sequence is never aborted: upsd or the link said so. */
export const NEVER_ABORTED: readonly string[] = ["fsd", "fail_safe"];

/** The mode before anything is known: armed. */
export const ARMED: CrisisMode = { mode: "armed" };

/**
 * The next mode and the effects of one event. Total: an event that does not
 * apply to a mode leaves it unchanged with no effects.
 *
 * @param mode The current mode.
 * @param event What happened.
 * @returns The next mode and the effects, in order.
 */
export function transition(
  mode: CrisisMode,
  event: CrisisEvent,
): CrisisTransition {
  switch (event.kind) {
    case "started":
      return started(event);
    case "session_started":
      return sessionStarted(mode, event.dryRun);
    case "triggered":
      return triggered(mode, event);
    case "step_starting":
      return mode.mode === "running" && !event.reversible && !mode.committed
        ? committed(mode)
        : same(mode);
    case "power_stable":
      return powerStable(mode, event.nowMs);
    case "rollback_ended":
      return rollbackEnded(mode, event.lines, event.nowMs);
    case "step_ended":
      // The step in progress when an abort came is recorded too: the
      // rollback undoes what it stopped.
      return mode.mode !== "running" && mode.mode !== "aborting"
        ? same(mode)
        : {
          mode: { ...mode, flag: recorded(mode.flag, event.result) },
          effects: [{
            kind: "write_flag",
            flag: recorded(mode.flag, event.result),
          }],
        };
    case "sequence_ended":
      return sequenceEnded(mode, event.nowMs);
    case "power_back":
      return powerBack(mode);
    case "flag_removed":
      return mode.mode === "done" || mode.mode === "held"
        ? {
          mode: ARMED,
          effects: [
            { kind: "rearm_triggers" },
            { kind: "leave_crisis" },
            log(
              "info",
              "shutdown.rearmed",
              "Crisis flag removed by hand: shutdown triggers re-armed",
            ),
          ],
        }
        : same(mode);
    case "reload_requested":
      return mode.mode === "running" || mode.mode === "aborting"
        ? {
          mode: { ...mode, reloadPending: true },
          effects: [log(
            "info",
            "config.reload_deferred",
            "SIGHUP during a shutdown sequence: the reload waits until it is over",
          )],
        }
        : { mode, effects: [{ kind: "apply_reload" }] };
  }
}

function same(mode: CrisisMode): CrisisTransition {
  return { mode, effects: [] };
}

function log(
  level: CrisisLogLevel,
  event: string,
  message: string,
): CrisisEffect {
  return { kind: "log", level, event, message };
}

function recorded(flag: CrisisFlag, result: StepResult): CrisisFlag {
  return {
    ...flag,
    completedSteps: [...flag.completedSteps, result.id],
    results: [...flag.results, result],
  };
}

const HOLDING = log(
  "warning",
  "shutdown.crisis_mode",
  "A shutdown sequence already ran in this boot: triggers re-arm after shutdown.rearm_after on line power, or when the flag is removed",
);

/** The daemon started: resume, archive, hold or nothing, by the flag found. */
function started(
  event: Extract<CrisisEvent, { kind: "started" }>,
): CrisisTransition {
  const { found, bootId, dryRun, nowMs } = event;
  if (found.state === "armed") return same(ARMED);
  const archive = (suffix: string, why: string): CrisisTransition => ({
    mode: ARMED,
    effects: [{ kind: "archive_flag", suffix, why }],
  });
  if (found.state === "invalid") {
    return archive(`invalid-${nowMs}`, found.error);
  }
  const { flag } = found;
  // Without a known boot id this boot cannot be told from an earlier one:
  // archive rather than risk booting into a shutdown.
  if (flag.bootId !== bootId || bootId === UNKNOWN_BOOT_ID) {
    return archive(
      String(flag.startedAt),
      `A shutdown sequence (${flag.state}) from another boot was found and is not resumed`,
    );
  }
  if (flag.startedAt > nowMs + FLAG_FUTURE_TOLERANCE_MS) {
    return archive(
      String(flag.startedAt),
      `A shutdown sequence (${flag.state}) that starts in the future was found and is not resumed`,
    );
  }
  if (flag.state === "aborted") {
    // An aborted sequence is over: the triggers are armed for the next outage.
    return same(ARMED);
  }
  if (flag.state === "done") {
    const already = log(
      "warning",
      "shutdown.already_done",
      "A shutdown sequence already ran in this boot; crisis mode stays on until the flag is removed",
    );
    // The session that follows holds the triggers (see sessionStarted).
    return { mode: { mode: "done", flag }, effects: [already] };
  }
  if (flag.dryRun && !dryRun) {
    return archive(
      String(flag.startedAt),
      "An interrupted dry-run sequence is not resumed by a daemon that is not in dry-run",
    );
  }
  if (!flag.dryRun && dryRun) {
    return {
      mode: { mode: "held", flag },
      effects: [
        log(
          "error",
          "shutdown.real_sequence_left",
          "An interrupted real shutdown sequence was found: a dry-run daemon neither resumes nor completes it, and holds its triggers; a daemon that is not in dry-run resumes it, or clear it with ups-monitor reset",
        ),
        { kind: "hold_triggers" },
      ],
    };
  }
  if (flag.state === "aborting") {
    return {
      mode: { mode: "aborting", flag, reloadPending: false },
      effects: [
        { kind: "enter_crisis" },
        log(
          "warning",
          "shutdown.rollback_resumed",
          "The daemon restarted during a rollback: starting again what the aborted sequence stopped",
        ),
        { kind: "run_rollback", flag },
      ],
    };
  }
  return {
    mode: {
      mode: "running",
      flag,
      reloadPending: false,
      committed: flag.committed ?? false,
    },
    effects: [
      { kind: "enter_crisis" },
      { kind: "announce", what: "resumed", flag },
      { kind: "run_steps", flag, resumed: true },
    ],
  };
}

/** The first irreversible step starts: the sequence will complete. */
function committed(
  mode: Extract<CrisisMode, { mode: "running" }>,
): CrisisTransition {
  const flag: CrisisFlag = { ...mode.flag, committed: true };
  return {
    mode: { ...mode, flag, committed: true },
    effects: [
      { kind: "write_flag", flag },
      log(
        "info",
        "shutdown.point_of_no_return",
        "Point of no return: the sequence completes from here on",
      ),
    ],
  };
}

/**
 * The power has been back for the hold: abort before the point of no
 * return, unless upsd (FSD) or the lost link (fail-safe) started it.
 */
function powerStable(mode: CrisisMode, nowMs: number): CrisisTransition {
  if (
    mode.mode !== "running" || mode.committed ||
    NEVER_ABORTED.includes(mode.flag.reason.trigger) ||
    mode.flag.reason.abortable === false
  ) {
    return same(mode);
  }
  const flag: CrisisFlag = {
    ...mode.flag,
    state: "aborting",
    abortedAt: nowMs,
  };
  return {
    mode: { mode: "aborting", flag, reloadPending: mode.reloadPending },
    effects: [
      { kind: "write_flag", flag },
      { kind: "announce_abort", flag },
    ],
  };
}

/** The rollback ended: the outage is over, the triggers re-arm. */
function rollbackEnded(
  mode: CrisisMode,
  lines: readonly string[],
  nowMs: number,
): CrisisTransition {
  if (mode.mode !== "aborting") return same(mode);
  const flag: CrisisFlag = {
    ...mode.flag,
    state: "aborted",
    rollback: [...lines],
    finishedAt: nowMs,
  };
  return {
    mode: ARMED,
    effects: [
      { kind: "write_flag", flag },
      { kind: "report_rollback", flag },
      { kind: "rearm_triggers" },
      { kind: "leave_crisis" },
      ...(mode.reloadPending ? [{ kind: "apply_reload" } as const] : []),
    ],
  };
}

function sessionStarted(mode: CrisisMode, dryRun: boolean): CrisisTransition {
  if (mode.mode === "held") {
    return { mode, effects: [{ kind: "hold_triggers" }] };
  }
  if (mode.mode !== "done") return same(mode);
  // A rehearsal's flag does not hold back a daemon that is not rehearsing.
  if (mode.flag.dryRun && !dryRun) return same(ARMED);
  return { mode, effects: [{ kind: "hold_triggers" }, HOLDING] };
}

function triggered(
  mode: CrisisMode,
  event: Extract<CrisisEvent, { kind: "triggered" }>,
): CrisisTransition {
  // One sequence at a time: a decision while one runs or is held is moot.
  if (mode.mode !== "armed") return same(mode);
  const flag: CrisisFlag = {
    state: "running",
    reason: event.reason,
    startedAt: event.nowMs,
    bootId: event.bootId,
    dryRun: event.dryRun,
    completedSteps: [],
    results: [],
  };
  return {
    mode: { mode: "running", flag, reloadPending: false, committed: false },
    effects: [
      { kind: "write_flag", flag },
      { kind: "enter_crisis" },
      { kind: "announce", what: "triggered", flag },
      { kind: "run_steps", flag, resumed: false },
    ],
  };
}

function sequenceEnded(mode: CrisisMode, nowMs: number): CrisisTransition {
  // Stopped after the step in progress: now undo what it stopped.
  if (mode.mode === "aborting") {
    return { mode, effects: [{ kind: "run_rollback", flag: mode.flag }] };
  }
  if (mode.mode !== "running") return same(mode);
  const flag: CrisisFlag = {
    ...mode.flag,
    state: "done",
    finishedAt: nowMs,
  };
  return {
    mode: { mode: "done", flag },
    effects: [
      { kind: "write_flag", flag },
      { kind: "report_complete", flag },
      ...(mode.reloadPending ? [{ kind: "apply_reload" } as const] : []),
    ],
  };
}

function powerBack(mode: CrisisMode): CrisisTransition {
  switch (mode.mode) {
    case "done":
      return {
        mode: ARMED,
        effects: [{ kind: "clear_flag" }, { kind: "leave_crisis" }],
      };
    case "held":
      // The power core re-armed itself; the real sequence's flag still holds it.
      return { mode, effects: [{ kind: "hold_triggers" }] };
    default:
      // Power returning never stops a running sequence (yet: see the abort issue).
      return same(mode);
  }
}
