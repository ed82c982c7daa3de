/**
 * What crisis mode records: the flag file's content, the result of each step
 * and how to undo it. Pure.
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
  /** What an abort must do to undo the step; absent when nothing. */
  undo?: Undo;
}

/**
 * How to undo a reversible step after an abort, recorded with its result so
 * a rollback after a restart knows it too.
 */
export type Undo =
  /** Start these VMs again (they ran before the step). */
  | { kind: "vms"; uri: string | null; names: string[] }
  /** Start these containers again with the engine that stopped them. */
  | { kind: "containers"; engine: string; ids: string[]; names: string[] }
  /** Run the custom step's `undo` command. */
  | { kind: "command"; command: string[]; timeoutMs: number };

/** Why the sequence started, as the monitor's trigger says it. */
export interface SequenceReason {
  /** Stable trigger name, e.g. `low_battery`, `fsd`, `fail_safe`. */
  trigger: string;
  /** Human text with the numbers, e.g. "Battery charge 18 % is below 20 %". */
  message: string;
  /** The numbers behind it (charge, runtime, rate…). */
  fields?: Record<string, string | number>;
  /**
   * False when power that seems back must not abort the sequence although
   * the trigger's name allows it: several UPSes, one of them by FSD or its
   * fail-safe. @default true
   */
  abortable?: boolean;
}

/** The content of the flag file while a sequence runs or after it ran. */
export interface CrisisFlag {
  /**
   * `running` until the last step ended, then `done`; after an abort
   * `aborting` while the rollback runs, then `aborted`.
   */
  state: "running" | "done" | "aborting" | "aborted";
  /** Why the sequence started. */
  reason: SequenceReason;
  /** Wall-clock start, milliseconds since the epoch. */
  startedAt: number;
  /** Wall-clock end, once done (or rolled back). */
  finishedAt?: number;
  /** The sequence passed its point of no return: no abort, even after a restart. */
  committed?: boolean;
  /** Wall-clock time the power was back for the hold and the sequence aborted. */
  abortedAt?: number;
  /** What the rollback did, one line per action, once it ended. */
  rollback?: string[];
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
  | { state: CrisisFlag["state"]; flag: CrisisFlag }
  | { state: "invalid"; error: string };

/** The mode of crisis mode. */
export type CrisisMode =
  | { readonly mode: "armed" }
  | {
    readonly mode: "running";
    readonly flag: CrisisFlag;
    /** A SIGHUP came during the sequence: reload once it has ended. */
    readonly reloadPending: boolean;
    /** Past the point of no return: the sequence completes whatever happens. */
    readonly committed: boolean;
  }
  | {
    /** Power came back before the point of no return: rolling back. */
    readonly mode: "aborting";
    readonly flag: CrisisFlag;
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
  /** A step of the running sequence is about to start. */
  | { readonly kind: "step_starting"; readonly reversible: boolean }
  /** One step of the running sequence ended. */
  | { readonly kind: "step_ended"; readonly result: StepResult }
  /** Line power, without OB, FSD or LB, has lasted `shutdown.abort.hold`. */
  | { readonly kind: "power_stable"; readonly nowMs: number }
  /** The rollback after an abort ended; one line per action. */
  | {
    readonly kind: "rollback_ended";
    readonly lines: readonly string[];
    readonly nowMs: number;
  }
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
  /** Log and notify "power back — shutdown aborted". */
  | { readonly kind: "announce_abort"; readonly flag: CrisisFlag }
  /** Undo the flag's reversible steps in reverse order; report `rollback_ended`. */
  | { readonly kind: "run_rollback"; readonly flag: CrisisFlag }
  /** Log and notify the summary of what was restored. */
  | { readonly kind: "report_rollback"; readonly flag: CrisisFlag }
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
