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

/** How a step ended. */
export type StepStatus = "done" | "failed" | "timeout" | "skipped";

/** The result of one step, as recorded in the flag file. */
export interface StepResult {
  /** The planned step's id. */
  id: string;
  /** Its title. */
  title: string;
  /** How it ended: a timeout means at least one call was killed. */
  status: StepStatus;
  /** Wall time of the step in milliseconds. */
  durationMs: number;
  /** One line for the summary, e.g. "2 VMs shut down, 1 destroyed". */
  summary: string;
  /** What happened to each item (VM, mount, remote), one line each. */
  details: string[];
}

/** Why the sequence started, as the monitor's trigger says it. */
export interface SequenceReason {
  /** Stable trigger name, e.g. `low_battery`, `fsd`, `fail_safe`. */
  trigger: string;
  /** Human text with the numbers, e.g. "Battery charge 18 % is below 20 %". */
  message: string;
  /** The numbers behind it (charge, runtime, rate…). */
  fields?: Record<string, string | number>;
}

/** The content of the flag file while a sequence runs or after it ran. */
export interface CrisisFlag {
  /** `running` until the last step ended, then `done`. */
  state: "running" | "done";
  /** Why the sequence started. */
  reason: SequenceReason;
  /** Wall-clock start, milliseconds since the epoch. */
  startedAt: number;
  /** Wall-clock end, once done. */
  finishedAt?: number;
  /** The boot the sequence ran in: only this boot may resume it. */
  bootId: string;
  /** Whether the sequence was a rehearsal. */
  dryRun: boolean;
  /** Ids of the steps that ended (in any way), in order. */
  completedSteps: string[];
  /** Their results. */
  results: StepResult[];
}

/** What the flag file says. */
export type CrisisState =
  | { state: "armed" }
  | { state: "running" | "done"; flag: CrisisFlag }
  | { state: "invalid"; error: string };

/** The boot id used when it cannot be read: nothing is ever resumed under it. */
export const UNKNOWN_BOOT_ID = "unknown";

/**
 * How far in the future a flag's start may lie before it is not trusted,
 * ms: a clock stepped back by NTP is normal, a day is not.
 */
export const FLAG_FUTURE_TOLERANCE_MS = 60_000;

/** The mode of crisis mode. */
export type CrisisMode =
  | { readonly mode: "armed" }
  | {
    readonly mode: "running";
    readonly flag: CrisisFlag;
    /** A SIGHUP came during the sequence: reload once it has ended. */
    readonly reloadPending: boolean;
  }
  | { readonly mode: "done" | "held"; readonly flag: CrisisFlag };

/** What happens to crisis mode. */
export type CrisisEvent =
  /** The daemon started and read the flag file. */
  | {
    readonly kind: "started";
    readonly found: CrisisState;
    readonly bootId: string;
    readonly dryRun: boolean;
    readonly nowMs: number;
  }
  /**
   * A session began (at start once the flag was handled, or after a
   * reload): its fresh triggers follow the mode.
   */
  | { readonly kind: "session_started"; readonly dryRun: boolean }
  /** The power core decided: shut down. */
  | {
    readonly kind: "triggered";
    readonly reason: SequenceReason;
    readonly bootId: string;
    readonly dryRun: boolean;
    readonly nowMs: number;
  }
  /** One step of the running sequence ended. */
  | { readonly kind: "step_ended"; readonly result: StepResult }
  /** The last step ended. */
  | { readonly kind: "sequence_ended"; readonly nowMs: number }
  /** The power core re-armed: on line power for `shutdown.rearm_after`. */
  | { readonly kind: "power_back" }
  /** The flag file was seen, then found gone: removed by hand. */
  | { readonly kind: "flag_removed" }
  /** SIGHUP: reload the config. */
  | { readonly kind: "reload_requested" };

/** Log levels an effect may use. */
export type CrisisLogLevel = "info" | "warning" | "error";

/** What the shell must do, in order. */
export type CrisisEffect =
  | { readonly kind: "write_flag"; readonly flag: CrisisFlag }
  | { readonly kind: "clear_flag" }
  /** Rename the flag aside and report why (log and notification). */
  | {
    readonly kind: "archive_flag";
    readonly suffix: string;
    readonly why: string;
  }
  /** Log and notify the start of a sequence (new or resumed). */
  | {
    readonly kind: "announce";
    readonly what: "triggered" | "resumed";
    readonly flag: CrisisFlag;
  }
  /** Run the steps the flag has not completed; report `step_ended` and `sequence_ended`. */
  | {
    readonly kind: "run_steps";
    readonly flag: CrisisFlag;
    readonly resumed: boolean;
  }
  /** Log `shutdown.complete` with the counts. */
  | { readonly kind: "report_complete"; readonly flag: CrisisFlag }
  | { readonly kind: "hold_triggers" }
  | { readonly kind: "rearm_triggers" }
  | { readonly kind: "enter_crisis" }
  | { readonly kind: "leave_crisis" }
  | {
    readonly kind: "log";
    readonly level: CrisisLogLevel;
    readonly event: string;
    readonly message: string;
  }
  | { readonly kind: "apply_reload" };

/** A transition's result. */
export interface CrisisTransition {
  /** The next mode. */
  readonly mode: CrisisMode;
  /** The effects, in the order the shell carries them out. */
  readonly effects: readonly CrisisEffect[];
}

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
    case "step_ended":
      return mode.mode !== "running" ? same(mode) : {
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
      return mode.mode === "running"
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
  return {
    mode: { mode: "running", flag, reloadPending: false },
    effects: [
      { kind: "enter_crisis" },
      { kind: "announce", what: "resumed", flag },
      { kind: "run_steps", flag, resumed: true },
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
    mode: { mode: "running", flag, reloadPending: false },
    effects: [
      { kind: "write_flag", flag },
      { kind: "enter_crisis" },
      { kind: "announce", what: "triggered", flag },
      { kind: "run_steps", flag, resumed: false },
    ],
  };
}

function sequenceEnded(mode: CrisisMode, nowMs: number): CrisisTransition {
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
