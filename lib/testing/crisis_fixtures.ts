/**
 * Modes, events and flags for the table tests of the crisis state machine.
 * Test support only.
 *
 * @module
 */
import type {
  CrisisEvent,
  CrisisFlag,
  CrisisMode,
  StepResult,
} from "../shutdown/crisis_machine.ts";

/** The boot id of the tables. */
export const BOOT = "boot-a";
/** Wall-clock now of the tables, ms. */
export const NOW = 1_800_000_000_000;
/** A low-charge trigger's reason. */
export const REASON = { trigger: "low_charge", message: "charge 18% < 20%" };

/** A running real flag of this boot, started 5 s ago, with overrides. */
export function flag(overrides: Partial<CrisisFlag> = {}): CrisisFlag {
  return {
    state: "running",
    reason: REASON,
    startedAt: NOW - 5000,
    bootId: BOOT,
    dryRun: false,
    completedSteps: [],
    results: [],
    ...overrides,
  };
}

/** A done VM step. */
export const RESULT: StepResult = {
  id: "vms",
  title: "VMs",
  status: "done",
  durationMs: 1200,
  summary: "2 VMs shut down",
  details: [],
};

/** The running mode. */
export const running = (
  f = flag(),
  reloadPending = false,
  committed = false,
): CrisisMode => ({
  mode: "running",
  flag: f,
  reloadPending,
  committed,
});
/** The aborting mode. */
export const aborting = (
  f = flag({ state: "aborting" }),
  reloadPending = false,
): CrisisMode => ({
  mode: "aborting",
  flag: f,
  reloadPending,
});
/** The done mode. */
export const done = (f = flag({ state: "done" })): CrisisMode => ({
  mode: "done",
  flag: f,
});
/** The held mode (a rehearsal leaves a real flag alone). */
export const held = (f = flag()): CrisisMode => ({ mode: "held", flag: f });

/** The daemon started and found `found`. */
export const started = (
  found: Extract<CrisisEvent, { kind: "started" }>["found"],
  options: { dryRun?: boolean; bootId?: string } = {},
): CrisisEvent => ({
  kind: "started",
  found,
  bootId: options.bootId ?? BOOT,
  dryRun: options.dryRun ?? false,
  nowMs: NOW,
});

/** The power core decided. */
export const triggered = (dryRun = false): CrisisEvent => ({
  kind: "triggered",
  reason: REASON,
  bootId: BOOT,
  dryRun,
  nowMs: NOW,
});

/** One row of a transition table: the mode reached and the effects' kinds. */
export interface Case {
  name: string;
  from: CrisisMode;
  event: CrisisEvent;
  to: CrisisMode["mode"];
  effects: string[];
}

/** Every transition: the mode reached and the kinds of the effects, in order. */
