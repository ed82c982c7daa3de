/**
 * What the monitor and the shutdown sequence tell people, and the seam
 * behind which channels deliver it. Pure: types only.
 *
 * @pure
 * @module
 */

/**
 * How bad an event is, the tone of its notification: critical (red), warning
 * (orange), quality (yellow, power quality), recovery (green), info (blue).
 * Decides the Discord color and what a full queue drops first.
 */
export type Severity = "critical" | "warning" | "quality" | "recovery" | "info";

/** One thing worth telling a human. */
export interface Notification {
  /** Stable dotted event name, e.g. `power.on_battery`. */
  event: string;
  /** How bad it is. */
  severity: Severity;
  /** Short title, e.g. "On battery". */
  title: string;
  /** One or two sentences with the numbers behind the event. */
  message: string;
  /** The UPS name as configured. */
  ups: string;
  /** Numbers and reasons shown as fields (charge, runtime, voltage…). */
  fields?: Record<string, string | number>;
  /** When it happened, milliseconds since the epoch. */
  timeMs: number;
  /**
   * Where a shutdown step stands (`shutdown.step` only): lets a channel keep
   * one table of the sequence's steps instead of a message per step.
   */
  step?: StepProgress;
}

/** One step of a shutdown sequence at its start or end. */
export interface StepProgress {
  /** The plan's step id, e.g. `vms`, `custom.0`. */
  id: string;
  /** The step's title, without the dry-run mark. */
  title: string;
  /** `start`, or how the step ended. */
  phase: "start" | "done" | "failed" | "timeout";
  /** Whether the sequence only rehearses (dry-run). */
  dryRun: boolean;
  /** How long the step took, ms; only once it ended. */
  durationMs?: number;
  /** What the step did, one line; only once it ended. */
  summary?: string;
  /** Further lines the step reported (what failed, what was forced). */
  details?: readonly string[];
}

/** Delivers notifications without ever blocking the poll loop. */
export interface Notifier {
  /** Queues a notification; returns at once. */
  notify(notification: Notification): void;
  /**
   * Switches to crisis mode (a shutdown sequence runs): from now on each
   * notification is delivered in order, within the crisis budget.
   */
  enterCrisis(): void;
  /**
   * Leaves crisis mode once the triggers re-armed (after a rehearsal, or
   * with the flag removed by hand): the next sequence gets a fresh budget.
   */
  leaveCrisis?(): void;
  /**
   * Waits until queued notifications are delivered or `timeoutMs` passes. In
   * crisis mode the wait is also bounded by what is left of the crisis
   * budget, and returns at once after a failed send, so reporting never makes
   * a shutdown late; only the `final` flush (the summary before the local
   * shutdown) waits its full `timeoutMs` regardless.
   *
   * @param timeoutMs Longest wait in milliseconds.
   * @param options `final: true` for the last flush of a shutdown sequence.
   * @returns Whether everything was delivered.
   */
  flush(timeoutMs: number, options?: { final?: boolean }): Promise<boolean>;
}
